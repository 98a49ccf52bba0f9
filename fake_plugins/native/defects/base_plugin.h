/*
 * A small, well-behaved 0.3.0 source plugin that each defect file includes after defining
 * CUSTOM_<function> for the functions it replaces (and DEFECT_NAME, DEFECT_SCHEMA, ...).
 *
 * Events: NUM_EVENTS payloads "n=<k>" (k from 1), BATCH_SIZE per batch, ts BASE_TS + k; EOF after
 * the last, and again on every later call. Fields: defect.n (uint64), defect.text (string, the
 * payload), defect.arg (string, argRequired: echoes its argument). Each request of a call has its own
 * result buffer (up to MAX_REQUESTS), so several fields, or one field under several arguments,
 * can be asked for in one extract_fields call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } ss_plugin_event;
typedef struct {
    uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
    const char *res_str; uint64_t res_u64;
} ss_plugin_extract_field;

#ifndef DEFECT_NAME
#define DEFECT_NAME "defect"
#endif
#ifndef DEFECT_ID
#define DEFECT_ID 1073742100u
#endif
#ifndef NUM_EVENTS
#define NUM_EVENTS 5
#endif
#ifndef BATCH_SIZE
#define BATCH_SIZE 2
#endif
#define BASE_TS 1650000000000000000ULL
#define PAYLOAD_MAX 32
#define MAX_REQUESTS 32

typedef struct {
    char error[256];
    char text[128];
    char results[MAX_REQUESTS][128];
} plugin_state;

typedef struct {
    int next;                               /* number of the next event to make */
    ss_plugin_event events[BATCH_SIZE];
    char payloads[BATCH_SIZE][PAYLOAD_MAX];
    char progress[32];
} plugin_instance;

const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 1; }
uint32_t plugin_get_id(void) { return DEFECT_ID; }
const char *plugin_get_name(void) { return DEFECT_NAME; }
const char *plugin_get_description(void) { return "A plugin with a known defect, for plugref check"; }
const char *plugin_get_contact(void) { return "https://example.invalid/plugref"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_event_source(void) { return "defect"; }
const char *plugin_get_fields(void) {
    return "[{\"type\": \"uint64\", \"name\": \"defect.n\", \"desc\": \"the event number\"},"
           " {\"type\": \"string\", \"name\": \"defect.text\", \"desc\": \"the payload\"},"
           " {\"type\": \"string\", \"name\": \"defect.arg\", \"desc\": \"echoes its argument\", \"argRequired\": true}]";
}

#ifdef DEFECT_SCHEMA
const char *plugin_get_init_schema(uint32_t *schema_type) {
    *schema_type = 1;
    return DEFECT_SCHEMA;
}
#endif

#ifndef CUSTOM_plugin_init
void *plugin_init(const char *config, int32_t *rc) {
    (void)config;
    plugin_state *s = calloc(1, sizeof *s);
    *rc = s ? 0 : 1;
    return s;
}
#endif

#ifndef CUSTOM_plugin_destroy
void plugin_destroy(void *s) { free(s); }
#endif

const char *plugin_get_last_error(void *s) { return ((plugin_state *)s)->error; }

#ifndef CUSTOM_plugin_open
void *plugin_open(void *s, const char *params, int32_t *rc) {
    (void)s;
    (void)params;
    plugin_instance *in = calloc(1, sizeof *in);
    if (in) in->next = 1;
    *rc = in ? 0 : 1;
    return in;
}
#endif

#ifndef CUSTOM_plugin_close
void plugin_close(void *s, void *in) { (void)s; free(in); }
#endif

/* Fill slot i of the instance's batch with event number k. */
static void make_event(plugin_instance *in, uint32_t i, int k) {
    int len = snprintf(in->payloads[i], PAYLOAD_MAX, "n=%d", k);
    in->events[i].evtnum = 0;
    in->events[i].data = (const uint8_t *)in->payloads[i];
    in->events[i].datalen = (uint32_t)len;
    in->events[i].ts = BASE_TS + (uint64_t)k;
}

#ifndef CUSTOM_plugin_next_batch
int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = ip;
    uint32_t n = 0;
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) make_event(in, n++, in->next++);
    *nevts = n;
    *evts = in->events;
    return n ? 0 : 2;
}
#endif

#ifndef CUSTOM_plugin_get_progress
const char *plugin_get_progress(void *s, void *ip, uint32_t *pct) {
    (void)s;
    plugin_instance *in = ip;
    uint32_t done = (uint32_t)(in->next - 1) * 10000u / NUM_EVENTS;
    *pct = done;
    snprintf(in->progress, sizeof in->progress, "%u.%02u", done / 100, done % 100);
    return in->progress;
}
#endif

#ifndef CUSTOM_plugin_event_to_string
const char *plugin_event_to_string(void *sp, const uint8_t *data, uint32_t datalen) {
    plugin_state *s = sp;
    snprintf(s->text, sizeof s->text, "%.*s", (int)datalen, (const char *)data);
    return s->text;
}
#endif

#ifndef OPEN_PARAMS_JSON
#define OPEN_PARAMS_JSON "[{\"value\": \"\", \"desc\": \"the only stream\"}]"
#endif
const char *plugin_list_open_params(void *s, int32_t *rc) {
    (void)s;
    *rc = 0;
    return OPEN_PARAMS_JSON;
}

/* The k of payload "n=<k>", or 0. */
static uint64_t event_number(const ss_plugin_event *evt) {
    char text[PAYLOAD_MAX] = {0};
    if (!evt->data || evt->datalen < 3 || evt->datalen >= PAYLOAD_MAX) return 0;
    memcpy(text, evt->data, evt->datalen);
    return strncmp(text, "n=", 2) == 0 ? strtoull(text + 2, NULL, 10) : 0;
}

#ifndef CUSTOM_plugin_extract_fields
int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                              ss_plugin_extract_field *fields) {
    plugin_state *s = sp;
    if (num_fields > MAX_REQUESTS) {
        snprintf(s->error, sizeof s->error, "at most %d fields per extract_fields call", MAX_REQUESTS);
        return 1;
    }
    for (uint32_t k = 0; k < num_fields; k++) {
        ss_plugin_extract_field *f = &fields[k];
        f->field_present = false;
        if (f->field_id == 0 && event_number(evt)) {
            f->res_u64 = event_number(evt);
            f->field_present = true;
        } else if (f->field_id == 1) {
            snprintf(s->results[k], sizeof s->results[k], "%.*s", (int)evt->datalen, (const char *)evt->data);
            f->res_str = s->results[k];
            f->field_present = memchr(evt->data, 0, evt->datalen) == NULL;
        } else if (f->field_id == 2 && f->arg[0]) {
            snprintf(s->results[k], sizeof s->results[k], "%s", f->arg);
            f->res_str = s->results[k];
            f->field_present = true;
        }
    }
    return 0;
}
#endif
