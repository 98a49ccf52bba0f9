/*
 * Like dummy_c 0.2.1 of early 2022 (C++, the plugin-sdk-cpp wrapper of the time, plugin API
 * 0.3.0), written from the observed facts:
 * - its ID is never set, so it reports 0 (the registry gives dummy_c ID 4); build with
 *   -DDUMMY_C_ID=4 for a copy that loads where ID 0 is refused;
 * - C++ exceptions escape extract_fields: dummy.divisible[abc] runs std::stoi("abc"), whose
 *   std::invalid_argument crosses the C boundary (a C++ host catches it; across ctypes the
 *   process aborts);
 * - init config: "" or "{}", or JSON with "jitter" (else "jitter not defined"); open params must
 *   name "start" and "maxEvents" (else "Params <p> did not contain start property");
 * - payload: the sample as decimal text; ts UINT64_MAX ("now"); event_to_string {"sample": N}.
 * Samples grow by 1 + a pseudo-random jitter drawn from a fixed seed, so runs repeat.
 * Fields: dummy.divisible[N] (uint64: 1 if the sample is divisible by N), dummy.value (uint64),
 * dummy.strvalue (string).
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#ifndef DUMMY_C_ID
#define DUMMY_C_ID 0
#endif

struct ss_plugin_event { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; };
struct ss_plugin_extract_field {
    uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
    const char *res_str; uint64_t res_u64;
};

namespace {

class dummy_plugin {
public:
    virtual ~dummy_plugin() {}
    bool init(const char *config) {
        std::string text = config ? config : "";
        if (text.empty() || text == "{}") return true;
        const char *key = std::strstr(text.c_str(), "\"jitter\"");
        if (!key) { m_last_error = "jitter not defined"; return false; }
        const char *colon = std::strchr(key, ':');
        m_jitter = colon ? std::strtoull(colon + 1, nullptr, 10) : 0;
        return true;
    }
    uint64_t extract_u64(const std::string &field, const std::string &arg, uint64_t sample) {
        if (field == "dummy.divisible") {
            int divisor = std::stoi(arg);  // throws on "abc": nothing here catches it
            return divisor != 0 && sample % (uint64_t)divisor == 0 ? 1 : 0;
        }
        return sample;
    }
    std::string m_last_error;
    std::string m_str;
    uint64_t m_jitter = 10;
};

struct dummy_instance {
    uint64_t sample, remaining, seed = 42;
    std::string payload;
    ss_plugin_event event;
};

uint64_t param(const std::string &params, const char *key, bool &found) {
    const char *at = std::strstr(params.c_str(), key);
    found = at != nullptr;
    if (!at) return 0;
    const char *colon = std::strchr(at, ':');
    return colon ? std::strtoull(colon + 1, nullptr, 10) : 0;
}

}  // namespace

extern "C" {

const char *plugin_get_required_api_version() { return "0.3.0"; }
uint32_t plugin_get_type() { return 1; }
uint32_t plugin_get_id() { return DUMMY_C_ID; }
const char *plugin_get_name() { return "dummy_c"; }
const char *plugin_get_description() { return "Reference plugin for educational purposes (plugref fake of dummy_c 0.2.1)"; }
const char *plugin_get_contact() { return "github.com/falcosecurity/plugins"; }
const char *plugin_get_version() { return "0.2.1"; }
const char *plugin_get_event_source() { return "dummy_c"; }
const char *plugin_get_fields() {
    return "[{\"type\": \"uint64\", \"name\": \"dummy.divisible\", \"argRequired\": true, \"desc\": \"Return 1 if the "
           "value is divisible by the provided divisor, 0 otherwise\"},"
           " {\"type\": \"uint64\", \"name\": \"dummy.value\", \"desc\": \"The sample value in the event\"},"
           " {\"type\": \"string\", \"name\": \"dummy.strvalue\", \"desc\": \"The sample value in the event, as a string\"}]";
}

void *plugin_init(const char *config, int32_t *rc) {
    dummy_plugin *p = new dummy_plugin();
    *rc = p->init(config) ? 0 : 1;
    return p;
}

void plugin_destroy(void *s) { delete static_cast<dummy_plugin *>(s); }
const char *plugin_get_last_error(void *s) { return static_cast<dummy_plugin *>(s)->m_last_error.c_str(); }

void *plugin_open(void *s, const char *params, int32_t *rc) {
    dummy_plugin *p = static_cast<dummy_plugin *>(s);
    std::string text = params ? params : "";
    bool has_start, has_max;
    uint64_t start = param(text, "\"start\"", has_start), max = param(text, "\"maxEvents\"", has_max);
    if (!has_start || !has_max) {
        p->m_last_error = "Params " + text + " did not contain " + (has_start ? "maxEvents" : "start") + " property";
        *rc = 1;
        return nullptr;
    }
    dummy_instance *in = new dummy_instance();
    in->sample = start;
    in->remaining = max;
    *rc = 0;
    return in;
}

void plugin_close(void *, void *i) { delete static_cast<dummy_instance *>(i); }

int32_t plugin_next_batch(void *s, void *i, uint32_t *nevts, ss_plugin_event **evts) {
    dummy_plugin *p = static_cast<dummy_plugin *>(s);
    dummy_instance *in = static_cast<dummy_instance *>(i);
    if (in->remaining == 0) { *nevts = 0; return 2; }
    in->remaining--;
    in->seed = in->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    in->sample += 1 + (p->m_jitter ? (in->seed >> 33) % (p->m_jitter + 1) : 0);
    in->payload = std::to_string(in->sample);
    in->event.evtnum = 0;
    in->event.data = reinterpret_cast<const uint8_t *>(in->payload.data());
    in->event.datalen = (uint32_t)in->payload.size();
    in->event.ts = UINT64_MAX;
    *nevts = 1;
    *evts = &in->event;
    return 0;
}

const char *plugin_event_to_string(void *s, const uint8_t *data, uint32_t datalen) {
    dummy_plugin *p = static_cast<dummy_plugin *>(s);
    p->m_str = "{\"sample\": " + std::string(reinterpret_cast<const char *>(data), datalen) + "}";
    return p->m_str.c_str();
}

int32_t plugin_extract_fields(void *s, const ss_plugin_event *evt, uint32_t num_fields, ss_plugin_extract_field *fields) {
    dummy_plugin *p = static_cast<dummy_plugin *>(s);
    std::string payload(reinterpret_cast<const char *>(evt->data), evt->datalen);
    uint64_t sample = std::strtoull(payload.c_str(), nullptr, 10);
    for (uint32_t n = 0; n < num_fields; n++) {
        ss_plugin_extract_field &f = fields[n];
        f.field_present = true;
        if (f.ftype == 9) {
            p->m_str = payload;
            f.res_str = p->m_str.c_str();
        } else {
            f.res_u64 = p->extract_u64(f.field, f.arg ? f.arg : "", sample);
        }
    }
    return 0;
}

}  // extern "C"
