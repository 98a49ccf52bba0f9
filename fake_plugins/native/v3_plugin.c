/*
 * A native plugin of API 3.x, written from the header facts (plugin-api.md section 1), with
 * its misbehaviour chosen at compile time. Its Python twin is fake_plugins/v3_demo.py: both must
 * print the same lines (clause NATIVE-PARITY for 3.x, V3-SDK-CAPABILITIES).
 *
 * Events: n = 1..COUNT, payload "n=<n>", ts = n * 1000000000 + n. Fields: every 3.x type, list
 * fields, an index and a key argument, a field with no value on even events.
 *
 * Variants (-D...):
 *   EXTRACT_ONLY     no sourcing symbols; extracts from the "v3demo" source; named "v3extract"
 *   API="x.y.z"      the required API version
 *   OMIT_<symbol>    do not export plugin_<symbol> (e.g. -DOMIT_init)
 *   EVENT_ID_ZERO    events carry plugin ID 0 (the host fills it in)
 *   WRONG_ID         events carry another plugin's ID
 *   WRONG_TYPE       events have type 323
 *   BAD_LEN          the payload length runs past the event's len
 *   LYING_RES_LEN    v3demo.n answers res_len 2^40
 *   SCALAR_AS_LIST   v3demo.n answers res_len 2 on a non-list field
 *   BAD_IP_LEN       v3demo.addr answers a 5-byte buffer
 *   PARSING          also exports plugin_parse_event (a capability plugref reports, not drives)
 *   BROKEN_SOURCING  exports open and close but not next_batch
 *   ALL_EVENTS       (with EXTRACT_ONLY) no get_extract_event_sources: every source, every event code
 *   SHARED_RESULTS   every field of one call answers in the same buffers (wrong when a host asks several)
 *   EVENT_SCHEMA="x.y.z"  exports plugin_get_required_event_schema_version answering that (NULL: NULL)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef API
#define API "3.12.0"
#endif
#define COUNT 5
#define PLUGIN_ID 1073742138u /* 2^30 + 314: the private block */
#define HEADER 26
#define PAYLOAD_OFFSET 38

#pragma pack(push, 1)
typedef struct { uint64_t ts; uint64_t tid; uint32_t len; uint16_t type; uint32_t nparams; } event_t;
#pragma pack(pop)
typedef struct { const event_t *evt; uint64_t evtnum; const char *evtsrc; } event_input_t;
typedef struct { uint32_t len; const void *ptr; } byte_buffer_t;
typedef struct {
    void *res; uint64_t res_len; uint32_t field_id; const char *field; const char *arg_key;
    uint64_t arg_index; uint32_t arg_present; uint32_t ftype; uint32_t flist;
} extract_field_t;
typedef const char *(*owner_error_fn)(void *owner);
typedef void (*log_fn)(void *owner, const char *component, const char *msg, uint32_t severity);
typedef struct { const char *config; void *owner; owner_error_fn get_owner_last_error; const void *tables;
                 log_fn log; } init_input_t;
typedef struct { void *owner; owner_error_fn get_owner_last_error; uint32_t num_fields; extract_field_t *fields;
                 void *table_reader[4]; void *table_reader_ext; void *value_offsets; } extract_input_t;

/* Result slots: each field of one extract_fields call answers in its own slot (of up to 3 values). */
#define SLOTS 64
typedef struct {
    char last_error[256];
    /* extraction results: valid until the next extract_fields call */
    uint64_t u64[SLOTS][3];
    uint32_t booleans[SLOTS][3];
    const char *strings[SLOTS][3];
    char text[SLOTS][64];
    byte_buffer_t buffers[SLOTS][1];
    uint8_t bytes[SLOTS][16];
    char info[64];
} state_t;

typedef struct {
    uint32_t next;
    uint8_t events[COUNT][64];
    event_t *pointers[COUNT];
} instance_t;

#define EXPORT __attribute__((visibility("default")))

#ifndef OMIT_get_required_api_version
EXPORT const char *plugin_get_required_api_version(void) { return API; }
#endif
#ifndef OMIT_get_version
EXPORT const char *plugin_get_version(void) { return "1.2.3"; }
#endif
#ifdef EXTRACT_ONLY
#define NAME "v3extract"
#else
#define NAME "v3demo"
#endif
#ifndef OMIT_get_name
EXPORT const char *plugin_get_name(void) { return NAME; }
#endif
#ifndef OMIT_get_description
EXPORT const char *plugin_get_description(void) { return "a 3.x plugin with every field type"; }
#endif
#ifndef OMIT_get_contact
EXPORT const char *plugin_get_contact(void) { return "plugref"; }
#endif

#ifndef OMIT_init
EXPORT void *plugin_init(const init_input_t *in, int32_t *rc) {
    state_t *s = calloc(1, sizeof(state_t));
    if (s == NULL) { *rc = 1; return NULL; }
    if (in->owner == NULL || in->get_owner_last_error == NULL) {
        snprintf(s->last_error, sizeof(s->last_error), "the init input has no owner");
        *rc = 1;
        return s;
    }
    if (in->config != NULL && strcmp(in->config, "fail") == 0) {
        snprintf(s->last_error, sizeof(s->last_error), "init refused the config 'fail'");
        *rc = 1;
        return s;
    }
    if (in->log != NULL) in->log(in->owner, NULL, "initialised", 6);
    *rc = 0;
    return s;
}
#endif
#ifndef OMIT_destroy
EXPORT void plugin_destroy(void *s) { free(s); }
#endif
#ifndef OMIT_get_last_error
EXPORT const char *plugin_get_last_error(void *s) { return ((state_t *)s)->last_error; }
#endif

__attribute__((unused)) static const char *FIELDS =
    "[{\"type\":\"uint64\",\"name\":\"v3demo.n\",\"desc\":\"the event counter\"},"
    "{\"type\":\"string\",\"name\":\"v3demo.text\",\"desc\":\"the counter in words\"},"
    "{\"type\":\"bool\",\"name\":\"v3demo.even\",\"desc\":\"is the counter even\"},"
    "{\"type\":\"reltime\",\"name\":\"v3demo.elapsed\",\"desc\":\"n microseconds, in ns\"},"
    "{\"type\":\"abstime\",\"name\":\"v3demo.at\",\"desc\":\"the event time\"},"
    "{\"type\":\"ipaddr\",\"name\":\"v3demo.addr\",\"desc\":\"10.0.0.n\"},"
    "{\"type\":\"ipaddr\",\"name\":\"v3demo.addr6\",\"desc\":\"fe80::n\"},"
    "{\"type\":\"ipnet\",\"name\":\"v3demo.net\",\"desc\":\"192.168.n.0\"},"
    "{\"type\":\"uint64\",\"name\":\"v3demo.digits\",\"desc\":\"n, 10n, 100n\",\"isList\":true},"
    "{\"type\":\"string\",\"name\":\"v3demo.words\",\"desc\":\"the words of the payload\",\"isList\":true},"
    "{\"type\":\"string\",\"name\":\"v3demo.word\",\"desc\":\"one word, by index\",\"arg\":{\"isIndex\":true}},"
    "{\"type\":\"string\",\"name\":\"v3demo.tag\",\"desc\":\"key=n\",\"arg\":{\"isKey\":true,\"isRequired\":true},"
    "\"addOutput\":true},"
    "{\"type\":\"uint64\",\"name\":\"v3demo.odd\",\"desc\":\"n on odd events only\",\"properties\":[\"info\"]},"
    "{\"type\":\"string\",\"name\":\"v3demo.source\",\"desc\":\"the evtsrc of the input\"},"
    "{\"type\":\"uint64\",\"name\":\"v3demo.pluginid\",\"desc\":\"the plugin ID in the event\"}]";

#ifndef OMIT_get_fields
EXPORT const char *plugin_get_fields(void) { return FIELDS; }
#endif

#ifdef EVENT_SCHEMA
EXPORT const char *plugin_get_required_event_schema_version(void *s) { (void)s; return EVENT_SCHEMA; }
#endif

#ifdef EXTRACT_ONLY
#if !defined(OMIT_get_extract_event_sources) && !defined(ALL_EVENTS)
EXPORT const char *plugin_get_extract_event_sources(void) { return "[\"v3demo\"]"; }
#endif
#else
#ifndef OMIT_get_id
EXPORT uint32_t plugin_get_id(void) { return PLUGIN_ID; }
#endif
#ifndef OMIT_get_event_source
EXPORT const char *plugin_get_event_source(void) { return "v3demo"; }
#endif
#ifndef OMIT_open
EXPORT void *plugin_open(void *s, const char *params, int32_t *rc) {
    (void)params;
    instance_t *inst = calloc(1, sizeof(instance_t));
    if (inst == NULL) {
        snprintf(((state_t *)s)->last_error, 256, "out of memory");
        *rc = 1;
        return NULL;
    }
    *rc = 0;
    return inst;
}
#endif
#ifndef OMIT_close
EXPORT void plugin_close(void *s, void *inst) { (void)s; free(inst); }
#endif

__attribute__((unused)) static void encode(uint8_t *buf, uint32_t n) {
    char payload[16];
    uint32_t datalen = (uint32_t)snprintf(payload, sizeof(payload), "n=%u", n);
    event_t *hdr = (event_t *)buf;
    uint32_t params[3] = {4, datalen, PLUGIN_ID};
#ifdef EVENT_ID_ZERO
    params[2] = 0;
#endif
#ifdef WRONG_ID
    params[2] = 7;
#endif
    hdr->ts = (uint64_t)n * 1000000000u + n;
    hdr->tid = UINT64_MAX;
#ifdef BAD_LEN
    params[1] = datalen + 40;
#endif
    hdr->len = PAYLOAD_OFFSET + datalen;
    hdr->type = 322;
#ifdef WRONG_TYPE
    hdr->type = 323;
#endif
    hdr->nparams = 2;
    memcpy(buf + HEADER, params, sizeof(params));
    memcpy(buf + PAYLOAD_OFFSET, payload, datalen);
}

#if !defined(OMIT_next_batch) && !defined(BROKEN_SOURCING)
EXPORT int32_t plugin_next_batch(void *s, void *i, uint32_t *nevts, event_t ***evts) {
    (void)s;
    instance_t *inst = i;
    *nevts = 0;
    if (inst->next >= COUNT) return 2; /* EOF */
    /* two events a batch, the last one alone */
    uint32_t n = 0;
    while (n < 2 && inst->next < COUNT) {
        encode(inst->events[inst->next], inst->next + 1);
        inst->pointers[n] = (event_t *)inst->events[inst->next];
        inst->next++;
        n++;
    }
    *nevts = n;
    *evts = inst->pointers;
    return 0;
}
#endif

#ifndef OMIT_event_to_string
EXPORT const char *plugin_event_to_string(void *s, const event_input_t *in) {
    state_t *st = s;
    const uint8_t *raw = (const uint8_t *)in->evt;
    uint32_t datalen;
    memcpy(&datalen, raw + HEADER + 4, 4);
    snprintf(st->info, sizeof(st->info), "payload %.*s", (int)datalen, (const char *)raw + PAYLOAD_OFFSET);
    return st->info;
}
#endif
#endif /* EXTRACT_ONLY */

__attribute__((unused)) static const char *WORDS[] = {"zero", "one", "two", "three", "four", "five"};

#ifndef OMIT_extract_fields
EXPORT int32_t plugin_extract_fields(void *s, const event_input_t *in, const extract_input_t *req) {
    state_t *st = s;
    const uint8_t *raw = (const uint8_t *)in->evt;
    const event_t *hdr = in->evt;
    if (req->owner == NULL || req->get_owner_last_error == NULL) {
        snprintf(st->last_error, 256, "the extract input has no owner");
        return 1;
    }
    if (hdr->type != 322 || hdr->len < PAYLOAD_OFFSET) {
        snprintf(st->last_error, 256, "not a plugin event");
        return 1;
    }
    uint32_t datalen;
    memcpy(&datalen, raw + HEADER + 4, 4);
    char payload[32] = {0};
    memcpy(payload, raw + PAYLOAD_OFFSET, datalen < 31 ? datalen : 31);
    unsigned n = 0;
    if (sscanf(payload, "n=%u", &n) != 1) {
        snprintf(st->last_error, 256, "bad payload");
        return 1;
    }
    if (req->num_fields > SLOTS) {
        snprintf(st->last_error, 256, "more than %d fields in one call", SLOTS);
        return 1;
    }
    for (uint32_t k = 0; k < req->num_fields; k++) {
        extract_field_t *f = &req->fields[k];
#ifdef SHARED_RESULTS
        uint32_t slot = 0;
#else
        uint32_t slot = k;
#endif
        uint64_t *u64 = st->u64[slot];
        uint32_t *booleans = st->booleans[slot];
        const char **strings = st->strings[slot];
        char *text = st->text[slot];
        byte_buffer_t *buffers = st->buffers[slot];
        uint8_t *bytes = st->bytes[slot];
        f->res_len = 0;
        switch (f->field_id) {
        case 0: /* v3demo.n */
            u64[0] = n; f->res = u64; f->res_len = 1;
#ifdef LYING_RES_LEN
            f->res_len = 1ull << 40;
#endif
#ifdef SCALAR_AS_LIST
            u64[1] = n; f->res_len = 2;
#endif
            break;
        case 1: /* v3demo.text */
            strings[0] = WORDS[n % 6]; f->res = strings; f->res_len = 1;
            break;
        case 2: /* v3demo.even */
            booleans[0] = (n % 2) == 0; f->res = booleans; f->res_len = 1;
            break;
        case 3: /* v3demo.elapsed */
            u64[0] = (uint64_t)n * 1000u; f->res = u64; f->res_len = 1;
            break;
        case 4: /* v3demo.at */
            u64[0] = hdr->ts; f->res = u64; f->res_len = 1;
            break;
        case 5: /* v3demo.addr */
            memcpy(bytes, (uint8_t[]){10, 0, 0, (uint8_t)n}, 4);
            buffers[0].len = 4; buffers[0].ptr = bytes;
#ifdef BAD_IP_LEN
            buffers[0].len = 5;
#endif
            f->res = buffers; f->res_len = 1;
            break;
        case 6: /* v3demo.addr6 */
            memset(bytes, 0, 16); bytes[0] = 0xfe; bytes[1] = 0x80; bytes[15] = (uint8_t)n;
            buffers[0].len = 16; buffers[0].ptr = bytes;
            f->res = buffers; f->res_len = 1;
            break;
        case 7: /* v3demo.net */
            memcpy(bytes, (uint8_t[]){192, 168, (uint8_t)n, 0}, 4);
            buffers[0].len = 4; buffers[0].ptr = bytes;
            f->res = buffers; f->res_len = 1;
            break;
        case 8: /* v3demo.digits */
            u64[0] = n; u64[1] = 10u * n; u64[2] = 100u * n;
            f->res = u64; f->res_len = 3;
            break;
        case 9: /* v3demo.words: "n", then the word */
            strings[0] = "n"; strings[1] = WORDS[n % 6];
            f->res = strings; f->res_len = 2;
            break;
        case 10: /* v3demo.word[i] */
            if (f->arg_present && f->arg_index < 2) {
                strings[0] = f->arg_index == 0 ? "n" : WORDS[n % 6];
                f->res = strings; f->res_len = 1;
            }
            break;
        case 11: /* v3demo.tag[key] */
            if (f->arg_key != NULL) {
                snprintf(text, 64, "%s=%u", f->arg_key, n);
                strings[0] = text; f->res = strings; f->res_len = 1;
            }
            break;
        case 12: /* v3demo.odd */
            if (n % 2 == 1) { u64[0] = n; f->res = u64; f->res_len = 1; }
            break;
        case 13: /* v3demo.source */
            if (in->evtsrc != NULL) { strings[0] = in->evtsrc; f->res = strings; f->res_len = 1; }
            break;
        case 14: /* v3demo.pluginid */
            memcpy(&u64[0], raw + HEADER + 8, 4); u64[0] &= 0xffffffffu; f->res = u64; f->res_len = 1;
            break;
        default:
            snprintf(st->last_error, 256, "no field with id %u", f->field_id);
            return 1;
        }
    }
    return 0;
}
#endif

#ifdef PARSING
EXPORT int32_t plugin_parse_event(void *s, const event_input_t *in, const void *parse_input) {
    (void)s; (void)in; (void)parse_input;
    return 0;
}
#endif
