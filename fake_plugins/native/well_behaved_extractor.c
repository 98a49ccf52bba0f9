/*
 * A well-behaved native extractor (API 0.3.0) for `plugref check`: it reads payloads of
 * `key=value;key=value` pairs from any source.
 *   kv.value[key]  (string, argument required) the value of `key`; no value when absent
 *   kv.count       (uint64) the number of pairs
 *   kv.raw         (string) the payload
 * Each request of a call gets its own result buffer, so a host may ask several fields (the same
 * field under several arguments too) in one extract_fields call. init takes "" or "{}" only and,
 * as the 0.3.0 header allows, returns NULL when it fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } ss_plugin_event;
typedef struct {
    uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
    const char *res_str; uint64_t res_u64;
} ss_plugin_extract_field;

#define MAX_REQUESTS 64
#define RESULT_MAX 1024

typedef struct {
    char error[128];
    char results[MAX_REQUESTS][RESULT_MAX];
} state;

const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 2; }
const char *plugin_get_name(void) { return "kv"; }
const char *plugin_get_description(void) { return "Reads key=value pairs from any payload"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_version(void) { return "1.0.0"; }
const char *plugin_get_fields(void) {
    return "[{\"type\": \"string\", \"name\": \"kv.value\", \"desc\": \"the value of a key\", \"argRequired\": true},"
           " {\"type\": \"uint64\", \"name\": \"kv.count\", \"desc\": \"the number of pairs\"},"
           " {\"type\": \"string\", \"name\": \"kv.raw\", \"desc\": \"the payload\"}]";
}

void *plugin_init(const char *config, int32_t *rc) {
    if (config && *config && strcmp(config, "{}") != 0) { *rc = 1; return NULL; }
    state *s = calloc(1, sizeof *s);
    *rc = s ? 0 : 1;
    return s;
}

void plugin_destroy(void *s) { free(s); }
const char *plugin_get_last_error(void *s) { return s ? ((state *)s)->error : ""; }

/* The value of `key` in the payload, copied into out; false when the key is absent. */
static bool lookup(const char *data, uint32_t len, const char *key, char *out) {
    size_t klen = strlen(key);
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *stop = memchr(p, ';', (size_t)(end - p));
        if (!stop) stop = end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && (size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
            size_t n = (size_t)(stop - eq - 1) < RESULT_MAX - 1 ? (size_t)(stop - eq - 1) : RESULT_MAX - 1;
            memcpy(out, eq + 1, n);
            out[n] = 0;
            return true;
        }
        p = stop + 1;
    }
    return false;
}

static bool printable_utf8(const char *text) {
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (*c >= 0x80 || *c < 0x20) return false;
    return true;
}

int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                              ss_plugin_extract_field *fields) {
    state *s = sp;
    if (num_fields > MAX_REQUESTS) {
        snprintf(s->error, sizeof s->error, "at most %d fields per call", MAX_REQUESTS);
        return 1;
    }
    const char *data = (const char *)evt->data;
    for (uint32_t k = 0; k < num_fields; k++) {
        ss_plugin_extract_field *f = &fields[k];
        char *out = s->results[k];
        f->field_present = false;
        if (f->field_id == 0) {
            f->field_present = f->arg && *f->arg && lookup(data, evt->datalen, f->arg, out) && printable_utf8(out);
            f->res_str = out;
        } else if (f->field_id == 1) {
            uint64_t n = evt->datalen ? 1 : 0;
            for (uint32_t i = 0; i < evt->datalen; i++) n += data[i] == ';';
            f->res_u64 = n;
            f->field_present = true;
        } else if (f->field_id == 2) {
            size_t n = evt->datalen < RESULT_MAX - 1 ? evt->datalen : RESULT_MAX - 1;
            memcpy(out, data, n);
            out[n] = 0;
            f->field_present = strlen(out) == n && printable_utf8(out);
            f->res_str = out;
        } else {
            snprintf(s->error, sizeof s->error, "no known field: %u", f->field_id);
            return 1;
        }
    }
    return 0;
}
