/*
 * What a plugin built with plugin-sdk-go v0.1.0 (early 2022, plugin API 0.2.0) looks like from
 * C, written from the observed facts (docs: observed-hosts.md, plugins-and-sdks.md §3.1):
 *
 * - get_fields writes every field with "properties":null (and the plugin's own keys);
 * - extraction results live in ONE string buffer per field ID: two requests of the same field in
 *   one extract_fields call (json.value[/a], json.value[/b]) both point at the last value written;
 * - extract_fields returns FAILURE for the whole call at the first field that fails, leaving
 *   the later fields unset;
 * - built with -DGOSDK_HANDLE_LIMIT=31, the process can make 31 plugin states: the 32nd
 *   plugin_init panics (the Go runtime prints "panic: ..." and exits with status 2), a real
 *   defect of that SDK version.
 *
 * A plugin defines PLUGIN_TYPE, PLUGIN_NAME, PLUGIN_DESCRIPTION, PLUGIN_CONTACT, PLUGIN_VERSION
 * and `struct plugin_data`, includes this, and defines
 *   static const gosdk_field *plugin_fields(size_t *count);
 *   static int plugin_extract_one(plugin_data *p, const ss_plugin_event *evt, uint32_t id,
 *                                 const char *arg, char *str, uint64_t *u64, bool *present,
 *                                 char *error);   returns 0, or non-zero with `error` set
 *   static int plugin_configure(plugin_data *p, const char *config, char *error);
 * The SDK owns the exported symbols common to every plugin.
 */
#ifndef PLUGREF_SDK_GO_H
#define PLUGREF_SDK_GO_H

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

#define GOSDK_FTYPE_UINT64 8
#define GOSDK_FTYPE_STRING 9
#define GOSDK_MAX_FIELDS 16
#define GOSDK_RESULT_MAX 8192
#define GOSDK_ERROR_MAX 512

typedef struct {
    const char *type, *name, *display, *desc;
    bool arg_required;
} gosdk_field;

typedef struct plugin_data plugin_data;

typedef struct {
    char error[GOSDK_ERROR_MAX];
    /* One result buffer per field ID: the SDK's per-field pool, as v0.1.0 has it. */
    char results[GOSDK_MAX_FIELDS][GOSDK_RESULT_MAX];
    plugin_data *data;
} gosdk_state;

static const gosdk_field *plugin_fields(size_t *count);
static int plugin_configure(plugin_data *p, const char *config, char *error);
static int plugin_extract_one(plugin_data *p, const ss_plugin_event *evt, uint32_t id, const char *arg, char *str,
                              uint64_t *u64, bool *present, char *error);

#ifdef GOSDK_HANDLE_LIMIT
static int gosdk_handles_made;
#endif

const char *plugin_get_required_api_version(void) { return "0.2.0"; }
uint32_t plugin_get_type(void) { return PLUGIN_TYPE; }
const char *plugin_get_name(void) { return PLUGIN_NAME; }
const char *plugin_get_description(void) { return PLUGIN_DESCRIPTION; }
const char *plugin_get_contact(void) { return PLUGIN_CONTACT; }
const char *plugin_get_version(void) { return PLUGIN_VERSION; }

const char *plugin_get_fields(void) {
    static char json[8192];
    size_t n = 0, count = 0;
    const gosdk_field *table = plugin_fields(&count);
    n += (size_t)snprintf(json + n, sizeof json - n, "[");
    for (size_t i = 0; i < count; i++) {
        const gosdk_field *f = &table[i];
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"type\":\"%s\",\"name\":\"%s\",\"argRequired\":%s,\"display\":\"%s\","
                              "\"desc\":\"%s\",\"properties\":null}",
                              i ? "," : "", f->type, f->name, f->arg_required ? "true" : "false", f->display,
                              f->desc);
    }
    snprintf(json + n, sizeof json - n, "]");
    return json;
}

void *plugin_init(const char *config, int32_t *rc) {
#ifdef GOSDK_HANDLE_LIMIT
    if (++gosdk_handles_made > GOSDK_HANDLE_LIMIT) {
        fprintf(stderr, "panic: cgo handle table is full: at most %d plugin handles per process\n\n"
                        "goroutine 17 [running, locked to thread]:\n", GOSDK_HANDLE_LIMIT);
        fflush(stderr);
        _exit(2);
    }
#endif
    gosdk_state *s = calloc(1, sizeof *s);
    if (!s) { *rc = 1; return NULL; }
    s->data = calloc(1, sizeof *s->data);
    if (!s->data) { free(s); *rc = 1; return NULL; }
    /* A failed Init still returns a state holding the error, so that get_last_error works. */
    *rc = plugin_configure(s->data, config ? config : "", s->error) ? 1 : 0;
    return s;
}

void plugin_destroy(void *sp) {
    gosdk_state *s = sp;
    if (!s) return;
    free(s->data);
    free(s);
}

const char *plugin_get_last_error(void *sp) {
    gosdk_state *s = sp;
    return s ? s->error : "Plugin handle or get_last_error function not defined";
}

int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                              ss_plugin_extract_field *fields) {
    gosdk_state *s = sp;
    size_t count = 0;
    plugin_fields(&count);
    for (uint32_t i = 0; i < num_fields; i++) {
        ss_plugin_extract_field *f = &fields[i];
        f->field_present = false;
        if (f->field_id >= count || f->field_id >= GOSDK_MAX_FIELDS) {
            snprintf(s->error, sizeof s->error, "no known field: %s", f->field ? f->field : "");
            return 1;
        }
        char *buffer = s->results[f->field_id];
        uint64_t u64 = 0;
        bool present = false;
        if (plugin_extract_one(s->data, evt, f->field_id, f->arg ? f->arg : "", buffer, &u64, &present, s->error))
            return 1; /* the whole call fails at the first failing field */
        if (!present) continue;
        f->field_present = true;
        if (f->ftype == GOSDK_FTYPE_UINT64) f->res_u64 = u64;
        else f->res_str = buffer;
    }
    return 0;
}

#endif
