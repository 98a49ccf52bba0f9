/*
 * A native source plugin (API 0.3.0) that makes its events as it goes, for benchmarks and
 * memory checks: N events whose payload is "x.i=<n>;x.word=<word>", in the payload encoding of
 * the definition-driven plugins, so fields read the same way.
 *
 * Init config: "N B" (events, batch size), default "1000000 64". Fields: x.i (uint64), x.word
 * (string). Event n has ts BASE_TS + n microseconds. Memory is fixed at init: one batch of
 * events and payload buffers, reused on every next_batch (the 0.3.0 contract lets a plugin
 * reuse them, since the framework copies what it keeps).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } plugin_event;
typedef struct {
    uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
    const char *res_str; uint64_t res_u64;
} extract_field;

#define PAYLOAD_MAX 64
#define BASE_TS 1650000000000000000ULL

static const char *const WORDS[] = {"nginx", "sshd", "bash", "cron", "python3", "systemd", "containerd"};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

typedef struct {
    uint64_t total, made;
    uint32_t batch;
    plugin_event *events;
    char *payloads;
    char word[PAYLOAD_MAX];
    char error[128];
} state;

const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 1; }
uint32_t plugin_get_id(void) { return 1073741950; }
const char *plugin_get_name(void) { return "generator"; }
const char *plugin_get_description(void) { return "Makes N events on the fly, for benchmarks"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_version(void) { return "1.0.0"; }
const char *plugin_get_event_source(void) { return "gen"; }
const char *plugin_get_fields(void) {
    return "[{\"type\": \"uint64\", \"name\": \"x.i\", \"desc\": \"the event's counter\"},"
           " {\"type\": \"string\", \"name\": \"x.word\", \"desc\": \"a process name\"}]";
}

void *plugin_init(const char *config, int32_t *rc) {
    state *s = calloc(1, sizeof *s);
    unsigned long long total = 1000000, batch = 64;
    if (!s) { *rc = 1; return NULL; }
    if (config && *config && sscanf(config, "%llu %llu", &total, &batch) < 1) {
        snprintf(s->error, sizeof s->error, "init config must be \"N [B]\", not \"%.60s\"", config);
        *rc = 1;
        return s;
    }
    if (batch == 0 || batch > 100000) batch = 64;
    s->total = total;
    s->batch = (uint32_t)batch;
    s->events = calloc(batch, sizeof *s->events);
    s->payloads = calloc(batch, PAYLOAD_MAX);
    *rc = (s->events && s->payloads) ? 0 : 1;
    return s;
}

void plugin_destroy(void *p) {
    state *s = p;
    if (!s) return;
    free(s->events);
    free(s->payloads);
    free(s);
}

const char *plugin_get_last_error(void *p) { return p ? ((state *)p)->error : ""; }
void *plugin_open(void *p, const char *params, int32_t *rc) { (void)params; ((state *)p)->made = 0; *rc = 0; return p; }
void plugin_close(void *p, void *i) { (void)p; (void)i; }

int32_t plugin_next_batch(void *p, void *i, uint32_t *nevts, plugin_event **evts) {
    state *s = p;
    uint32_t n = 0;
    (void)i;
    while (n < s->batch && s->made < s->total) {
        char *payload = s->payloads + (size_t)PAYLOAD_MAX * n;
        uint64_t k = s->made + 1;
        int len = snprintf(payload, PAYLOAD_MAX, "x.i=%llu;x.word=%s", (unsigned long long)k, WORDS[k % NWORDS]);
        s->events[n].data = (const uint8_t *)payload;
        s->events[n].datalen = (uint32_t)len;
        s->events[n].ts = BASE_TS + k * 1000;
        n++;
        s->made++;
    }
    *nevts = n;
    *evts = s->events;
    return s->made >= s->total ? 2 : 0; /* the last events come with EOF */
}

const char *plugin_event_to_string(void *p, const uint8_t *data, uint32_t datalen) {
    state *s = p;
    size_t len = datalen < PAYLOAD_MAX - 1 ? datalen : PAYLOAD_MAX - 1;
    memcpy(s->word, data, len);
    s->word[len] = 0;
    return s->word;
}

/* The value after "<key>=" in "x.i=...;x.word=...", copied into out (NUL-terminated). */
static bool lookup(const uint8_t *data, uint32_t datalen, const char *key, char *out, size_t outlen) {
    size_t keylen = strlen(key);
    const char *text = (const char *)data, *end = text + datalen;
    while (text < end) {
        const char *next = memchr(text, ';', (size_t)(end - text));
        const char *stop = next ? next : end;
        if ((size_t)(stop - text) > keylen && memcmp(text, key, keylen) == 0 && text[keylen] == '=') {
            size_t len = (size_t)(stop - text) - keylen - 1;
            if (len >= outlen) len = outlen - 1;
            memcpy(out, text + keylen + 1, len);
            out[len] = 0;
            return true;
        }
        text = stop + 1;
    }
    return false;
}

int32_t plugin_extract_fields(void *p, const plugin_event *evt, uint32_t num_fields, extract_field *fields) {
    state *s = p;
    char value[PAYLOAD_MAX];
    for (uint32_t k = 0; k < num_fields; k++) {
        fields[k].field_present = false;
        if (fields[k].arg && *fields[k].arg) continue; /* no field of this plugin takes an argument */
        if (fields[k].field_id == 0 && lookup(evt->data, evt->datalen, "x.i", value, sizeof value)) {
            fields[k].res_u64 = strtoull(value, NULL, 10);
            fields[k].field_present = true;
        } else if (fields[k].field_id == 1 && lookup(evt->data, evt->datalen, "x.word", s->word, sizeof s->word)) {
            fields[k].res_str = s->word;
            fields[k].field_present = true;
        }
    }
    return 0;
}
