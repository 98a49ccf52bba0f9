/*
 * The definition-driven native fake plugin (defined_plugin.c) speaking API 3.x: the same
 * definitions (docs/fake-plugin-definitions.md) and the same answers, through the 3.x calls.
 * Its Python twin is fake_plugins/defined_v3.py (DefinedLibraryV3).
 *
 * defined_plugin.c is included with the calls whose signature changed in 3.x renamed (v03_*);
 * the 3.x symbols below wrap them:
 *   init           takes an ss_plugin_init_input and passes its config
 *   open/close     wrap the instance, which also keeps the batch of scap events
 *   next_batch     encodes each event as a PPME_PLUGINEVENT_E with plugin ID 0 (the host fills it in)
 *   event_to_string, extract_fields  take an ss_plugin_event_input; the payload starts at byte 38
 *   extract_fields one field a call, the argument passed on as text: the key, or the index in
 *                  decimal when brackets were given, else ""; uint64 and string fields only
 * plugin_get_type is not exported (3.x has no types).
 */
#define plugin_get_type v03_get_type
#define plugin_init v03_init
#define plugin_open v03_open
#define plugin_close v03_close
#define plugin_next_batch v03_next_batch
#define plugin_get_progress v03_get_progress
#define plugin_event_to_string v03_event_to_string
#define plugin_extract_fields v03_extract_fields
#include "defined_plugin.c"
#undef plugin_get_type
#undef plugin_init
#undef plugin_open
#undef plugin_close
#undef plugin_next_batch
#undef plugin_get_progress
#undef plugin_event_to_string
#undef plugin_extract_fields

#define V3_HEADER 26
#define V3_PAYLOAD_OFFSET 38

#pragma pack(push, 1)
typedef struct { uint64_t ts; uint64_t tid; uint32_t len; uint16_t type; uint32_t nparams; } v3_event_t;
#pragma pack(pop)
typedef struct { const v3_event_t *evt; uint64_t evtnum; const char *evtsrc; } v3_event_input_t;
typedef struct {
    void *res; uint64_t res_len; uint32_t field_id; const char *field; const char *arg_key;
    uint64_t arg_index; uint32_t arg_present; uint32_t ftype; uint32_t flist;
} v3_extract_field_t;
typedef struct { const char *config; void *owner; void *get_owner_last_error; const void *tables; void *log; } v3_init_input_t;
typedef struct { void *owner; void *get_owner_last_error; uint32_t num_fields; v3_extract_field_t *fields; } v3_extract_input_t;

typedef struct {
    void *inner;          /* the 0.3.0 instance */
    uint8_t *events;      /* the encoded batch, valid until the next call */
    v3_event_t **pointers;
} v3_instance_t;

/* The payload of a 3.x plugin event, as the 0.3.0 calls see it. */
MAYBE_UNUSED static ss_plugin_event v03_event(const v3_event_input_t *in) {
    ss_plugin_event e = {0};
    const uint8_t *raw = (const uint8_t *)in->evt;
    uint32_t datalen = 0;
    if (in->evt && in->evt->len >= V3_PAYLOAD_OFFSET) memcpy(&datalen, raw + V3_HEADER + 4, 4);
    e.evtnum = in->evtnum;
    e.data = datalen ? raw + V3_PAYLOAD_OFFSET : NULL;
    e.datalen = datalen;
    e.ts = in->evt ? in->evt->ts : 0;
    return e;
}

#ifndef OMIT_plugin_init
EXPORT void *plugin_init(const v3_init_input_t *in, int32_t *rc) { return v03_init(in ? in->config : "", rc); }
#endif

#ifndef OMIT_plugin_open
EXPORT void *plugin_open(void *sp, const char *params, int32_t *rc) {
    void *inner = v03_open(sp, params, rc);
    if (!inner) return NULL;
    v3_instance_t *in = calloc(1, sizeof *in);
    if (!in) { *rc = RC_FAILURE; return NULL; }
    in->inner = inner;
    return in;
}
#endif

#ifndef OMIT_plugin_close
EXPORT void plugin_close(void *sp, void *ip) {
    v3_instance_t *in = ip;
    if (!in) return;
    v03_close(sp, in->inner);
    free(in->events);
    free(in->pointers);
    free(in);
}
#endif

#ifndef OMIT_plugin_get_progress
EXPORT const char *plugin_get_progress(void *sp, void *ip, uint32_t *pct) {
    v3_instance_t *in = ip;
    return v03_get_progress(sp, in ? in->inner : NULL, pct);
}
#endif

#ifndef OMIT_plugin_next_batch
EXPORT int32_t plugin_next_batch(void *sp, void *ip, uint32_t *nevts, v3_event_t ***evts) {
    v3_instance_t *in = ip;
    *nevts = 0;
    *evts = NULL;
    if (!in) return RC_FAILURE;
    uint32_t n = 0;
    void *array = NULL;
    int32_t rc = v03_next_batch(sp, in->inner, &n, &array);
    if (n == 0) return rc;
    const ss_plugin_event *batch = array;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += V3_PAYLOAD_OFFSET + batch[i].datalen;
    free(in->events);
    free(in->pointers);
    in->events = malloc(total);
    in->pointers = malloc(n * sizeof *in->pointers);
    if (!in->events || !in->pointers) { set_error(sp, "out of memory"); return RC_FAILURE; }
    uint8_t *at = in->events;
    for (uint32_t i = 0; i < n; i++) {
        v3_event_t hdr = {batch[i].ts, UINT64_MAX, V3_PAYLOAD_OFFSET + batch[i].datalen, 322, 2};
        uint32_t params[3] = {4, batch[i].datalen, 0};
        memcpy(at, &hdr, V3_HEADER);
        memcpy(at + V3_HEADER, params, sizeof params);
        if (batch[i].datalen) memcpy(at + V3_PAYLOAD_OFFSET, batch[i].data, batch[i].datalen);
        in->pointers[i] = (v3_event_t *)at;
        at += V3_PAYLOAD_OFFSET + batch[i].datalen;
    }
    *nevts = n;
    *evts = in->pointers;
    return rc;
}
#endif

#ifndef OMIT_plugin_event_to_string
EXPORT const char *plugin_event_to_string(void *sp, const v3_event_input_t *in) {
    ss_plugin_event e = v03_event(in);
    return v03_event_to_string(sp, e.data, e.datalen);
}
#endif

#ifndef OMIT_plugin_extract_fields
static uint64_t v3_u64_result;
static const char *v3_str_result;

EXPORT int32_t plugin_extract_fields(void *sp, const v3_event_input_t *in, const v3_extract_input_t *req) {
    if (!in || !req || (req->num_fields && !req->fields)) return RC_FAILURE;
    ss_plugin_event e = v03_event(in);
    for (uint32_t k = 0; k < req->num_fields; k++) {
        v3_extract_field_t *f = &req->fields[k];
        f->res_len = 0;
        if (f->ftype != FTYPE_UINT64 && f->ftype != 9) {
            set_error(sp, "the definition plugin extracts uint64 and string fields only");
            return RC_FAILURE;
        }
        char index[24] = "";
        if (f->arg_key == NULL && f->arg_present) snprintf(index, sizeof index, "%llu", (unsigned long long)f->arg_index);
        ss_plugin_extract_field old = {0};
        old.field_id = f->field_id;
        old.field = f->field;
        old.arg = f->arg_key ? f->arg_key : index;
        old.ftype = f->ftype;
        int32_t rc = v03_extract_fields(sp, &e, 1, &old);
        if (rc != RC_SUCCESS) return rc;
        if (!old.field_present) continue;
        if (f->ftype == FTYPE_UINT64) {
            v3_u64_result = old.res_u64;
            f->res = &v3_u64_result;
        } else {
            v3_str_result = old.res_str;
            f->res = &v3_str_result;
        }
        f->res_len = 1;
    }
    return RC_SUCCESS;
}
#endif
