/*
 * Like the dummy plugin 0.2.1 of early 2022 (Go, plugin-sdk-go v0.1.0): a source plugin (ID 3,
 * event source dummy) that also extracts. Written from the observed facts.
 * Init config: "" or JSON {"jitter": N} (default 10). Open params: JSON {"start": S,
 * "maxEvents": M}, both required ("params <p> did not contain start property"). Each event adds
 * 1 + a jitter drawn from a fixed-seed generator to the sample (so runs repeat); the payload is
 * the sample as decimal text; ts is UINT64_MAX ("now"). event_to_string: {"sample": "N"}.
 * Fields: dummy.divisible[N] (uint64, argument required: 1 if the sample is divisible by N; an
 * argument that is no number fails the field), dummy.value (uint64), dummy.strvalue (string).
 * The SDK's ways (whole-call failure at the first failing field, "properties":null, the optional
 * handle limit) come from sdk_go.h.
 */
#define PLUGIN_TYPE 1
#define PLUGIN_NAME "dummy"
#define PLUGIN_DESCRIPTION "Reference plugin for educational purposes (plugref fake of dummy 0.2.1)"
#define PLUGIN_CONTACT "github.com/falcosecurity/plugins"
#define PLUGIN_VERSION "0.2.1"

struct plugin_data {
    unsigned long long jitter;
    char str[64];
};

#include "sdk_go.h"

static const gosdk_field DUMMY_FIELDS[] = {
    {"uint64", "dummy.divisible", "Value is divisible by",
     "Return 1 if the value is divisible by the provided divisor, 0 otherwise", true},
    {"uint64", "dummy.value", "Sample Value", "The sample value in the event", false},
    {"string", "dummy.strvalue", "Sample Value", "The sample value in the event, as a string", false},
};

static const gosdk_field *plugin_fields(size_t *count) {
    *count = sizeof DUMMY_FIELDS / sizeof DUMMY_FIELDS[0];
    return DUMMY_FIELDS;
}

/* The number after "key": in a JSON text, and whether the key is there. */
static bool json_number(const char *text, const char *key, unsigned long long *value) {
    const char *at = strstr(text, key);
    if (!at) return false;
    const char *colon = strchr(at + strlen(key), ':');
    if (!colon) return false;
    *value = strtoull(colon + 1, NULL, 10);
    return true;
}

static int plugin_configure(plugin_data *p, const char *config, char *error) {
    p->jitter = 10;
    if (*config && !json_number(config, "\"jitter\"", &p->jitter) && strspn(config, " \t\n{}") != strlen(config)) {
        snprintf(error, GOSDK_ERROR_MAX, "config %s could not be parsed: no jitter", config);
        return 1;
    }
    return 0;
}

uint32_t plugin_get_id(void) { return 3; }
const char *plugin_get_event_source(void) { return "dummy"; }

typedef struct {
    unsigned long long sample, remaining, seed;
    char payload[32];
    ss_plugin_event event;
} instance;

void *plugin_open(void *sp, const char *params, int32_t *rc) {
    gosdk_state *s = sp;
    unsigned long long start, max;
    *rc = 1;
    if (!json_number(params, "\"start\"", &start)) {
        snprintf(s->error, sizeof s->error, "params %s did not contain start property", params);
        return NULL;
    }
    if (!json_number(params, "\"maxEvents\"", &max)) {
        snprintf(s->error, sizeof s->error, "params %s did not contain maxEvents property", params);
        return NULL;
    }
    instance *in = calloc(1, sizeof *in);
    in->sample = start;
    in->remaining = max;
    in->seed = 42;
    *rc = 0;
    return in;
}

void plugin_close(void *sp, void *ip) { (void)sp; free(ip); }

int32_t plugin_next_batch(void *sp, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    gosdk_state *s = sp;
    instance *in = ip;
    if (!in->remaining) { *nevts = 0; return 2; }
    in->remaining--;
    in->seed = in->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    in->sample += 1 + (s->data->jitter ? (in->seed >> 33) % (s->data->jitter + 1) : 0);
    int len = snprintf(in->payload, sizeof in->payload, "%llu", in->sample);
    in->event.evtnum = 0;
    in->event.data = (const uint8_t *)in->payload;
    in->event.datalen = (uint32_t)len;
    in->event.ts = UINT64_MAX;
    *nevts = 1;
    *evts = &in->event;
    return 0;
}

const char *plugin_event_to_string(void *sp, const uint8_t *data, uint32_t datalen) {
    gosdk_state *s = sp;
    snprintf(s->data->str, sizeof s->data->str, "{\"sample\": \"%.*s\"}", (int)datalen, (const char *)data);
    return s->data->str;
}

static int plugin_extract_one(plugin_data *p, const ss_plugin_event *evt, uint32_t id, const char *arg, char *str,
                              uint64_t *u64, bool *present, char *error) {
    (void)p;
    char text[32];
    size_t n = evt->datalen < sizeof text - 1 ? evt->datalen : sizeof text - 1;
    memcpy(text, evt->data, n);
    text[n] = 0;
    char *end;
    unsigned long long sample = strtoull(text, &end, 10);
    if (!n || *end) {
        snprintf(error, GOSDK_ERROR_MAX, "strconv.Atoi: parsing \"%s\": invalid syntax", text);
        return 1;
    }
    if (id == 0) {
        long divisor = strtol(arg, &end, 10);
        if (!*arg || *end) {
            snprintf(error, GOSDK_ERROR_MAX, "argument to dummy.divisible %s could not be converted to number", arg);
            return 1;
        }
        *u64 = divisor != 0 && sample % (unsigned long long)divisor == 0;
    } else if (id == 1) {
        *u64 = sample;
    } else {
        snprintf(str, GOSDK_RESULT_MAX, "%s", text);
    }
    *present = true;
    return 0;
}
