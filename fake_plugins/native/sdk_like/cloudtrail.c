/*
 * Like the cloudtrail plugin 0.2.5 of early 2022 (Go, plugin-sdk-go v0.1.0): a source plugin
 * (ID 2, event source aws_cloudtrail) whose events are the records of a CloudTrail file, each
 * record's JSON bytes as the payload, its eventTime as the timestamp.
 *
 * Open params: the path of a file `{"Records": [...]}` (the real plugin also reads S3 and SQS).
 * Records without eventTime are skipped. Fields (all strings, read from the record; a key the
 * record lacks gives no value):
 *   ct.id /eventID, ct.name /eventName, ct.src /eventSource, ct.region /awsRegion,
 *   ct.user /userIdentity/userName, ct.user.identitytype /userIdentity/type,
 *   ct.srcip /sourceIPAddress, ct.error /errorCode, ct.useragent /userAgent
 * event_to_string: "<region> <user> <eventSource minus .amazonaws.com> <eventName>".
 * The SDK's ways come from sdk_go.h.
 */
#define _GNU_SOURCE
#define PLUGIN_TYPE 1
#define PLUGIN_NAME "cloudtrail"
#define PLUGIN_DESCRIPTION "reads cloudtrail JSON data saved to file in the directory specified in the settings"
#define PLUGIN_CONTACT "github.com/falcosecurity/plugins/ (plugref fake of cloudtrail 0.2.5)"
#define PLUGIN_VERSION "0.2.5"

#include <time.h>

struct plugin_data { int unused; };

#include "sdk_go.h"
#include "json_pointer.h"

#define BATCH_MAX 128

static const gosdk_field CT_FIELDS[] = {
    {"string", "ct.id", "Event ID", "the unique ID of the cloudtrail event.", false},
    {"string", "ct.name", "Event Name", "the name of the cloudtrail event.", false},
    {"string", "ct.src", "Event Source", "the source of the cloudtrail event.", false},
    {"string", "ct.region", "Region", "the region of the cloudtrail event.", false},
    {"string", "ct.user", "User", "the user of the cloudtrail event.", false},
    {"string", "ct.user.identitytype", "User Identity Type", "the kind of user identity.", false},
    {"string", "ct.srcip", "Source IP", "the IP address generating the event.", false},
    {"string", "ct.error", "Error Code", "The error code from the event.", false},
    {"string", "ct.useragent", "User Agent", "The user agent generating the event.", false},
};
static const char *const CT_POINTERS[] = {"/eventID", "/eventName", "/eventSource", "/awsRegion",
                                          "/userIdentity/userName", "/userIdentity/type", "/sourceIPAddress",
                                          "/errorCode", "/userAgent"};

static const gosdk_field *plugin_fields(size_t *count) {
    *count = sizeof CT_FIELDS / sizeof CT_FIELDS[0];
    return CT_FIELDS;
}

static int plugin_configure(plugin_data *p, const char *config, char *error) {
    (void)p; (void)config; (void)error;
    return 0;
}

uint32_t plugin_get_id(void) { return 2; }
const char *plugin_get_event_source(void) { return "aws_cloudtrail"; }

typedef struct {
    char *file;                     /* the whole file */
    const char *next, *end;         /* the records not read yet */
    ss_plugin_event events[BATCH_MAX];
    bool eof;
} instance;

void *plugin_open(void *sp, const char *params, int32_t *rc) {
    gosdk_state *s = sp;
    *rc = 1;
    FILE *f = fopen(params, "rb");
    if (!f) {
        snprintf(s->error, sizeof s->error, "cannot open %s", params);
        return NULL;
    }
    instance *in = calloc(1, sizeof *in);
    size_t size = 0, cap = 1 << 16;
    in->file = malloc(cap);
    for (size_t got; in->file && (got = fread(in->file + size, 1, cap - size, f)) > 0;) {
        size += got;
        if (size == cap) in->file = realloc(in->file, cap *= 2);
    }
    fclose(f);
    const char *v, *vend;
    if (!in->file || !jp_find(in->file, in->file + size, "/Records", &v, &vend) || *v != '[') {
        snprintf(s->error, sizeof s->error, "%s is not a cloudtrail file (no Records array)", params);
        free(in->file);
        free(in);
        return NULL;
    }
    in->next = jp_ws(v + 1, vend);
    in->end = vend - 1;
    *rc = 0;
    return in;
}

void plugin_close(void *sp, void *ip) {
    (void)sp;
    instance *in = ip;
    free(in->file);
    free(in);
}

static uint64_t record_time(const char *record, const char *end, bool *ok) {
    const char *v, *vend;
    char text[64];
    struct tm tm;
    *ok = false;
    if (!jp_find(record, end, "/eventTime", &v, &vend) || *v != '"') return 0;
    jp_text(v, vend, text, sizeof text);
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    *ok = true;
    return (uint64_t)timegm(&tm) * 1000000000ULL;
}

int32_t plugin_next_batch(void *sp, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)sp;
    instance *in = ip;
    uint32_t n = 0;
    while (n < BATCH_MAX && in->next < in->end) {
        const char *record = jp_ws(in->next, in->end), *stop = jp_value_end(record, in->end, 0);
        if (!stop) { in->next = in->end; break; }
        in->next = jp_ws(stop, in->end);
        if (in->next < in->end && *in->next == ',') in->next++;
        bool ok;
        uint64_t ts = record_time(record, stop, &ok);
        if (!ok) continue;
        in->events[n].evtnum = 0;
        in->events[n].data = (const uint8_t *)record;
        in->events[n].datalen = (uint32_t)(stop - record);
        in->events[n].ts = ts;
        n++;
    }
    *nevts = n;
    *evts = in->events;
    return in->next < in->end ? 0 : 2;
}

static void text_at(const char *doc, const char *end, const char *pointer, char *out, size_t cap) {
    const char *v, *vend;
    out[0] = 0;
    if (jp_find(doc, end, pointer, &v, &vend)) jp_text(v, vend, out, cap);
}

const char *plugin_event_to_string(void *sp, const uint8_t *data, uint32_t datalen) {
    static char line[1024];
    char region[128], user[128], src[128], name[128];
    const char *doc = (const char *)data, *end = doc + datalen;
    (void)sp;
    text_at(doc, end, "/awsRegion", region, sizeof region);
    text_at(doc, end, "/userIdentity/userName", user, sizeof user);
    text_at(doc, end, "/eventSource", src, sizeof src);
    text_at(doc, end, "/eventName", name, sizeof name);
    char *suffix = strstr(src, ".amazonaws.com");
    if (suffix) *suffix = 0;
    snprintf(line, sizeof line, "%s%s%s %s %s", region, *user ? " " : "", user, src, name);
    return line;
}

static int plugin_extract_one(plugin_data *p, const ss_plugin_event *evt, uint32_t id, const char *arg, char *str,
                              uint64_t *u64, bool *present, char *error) {
    (void)p; (void)arg; (void)u64; (void)error;
    const char *doc = (const char *)evt->data, *v, *vend;
    if (jp_find(doc, doc + evt->datalen, CT_POINTERS[id], &v, &vend)) {
        jp_text(v, vend, str, GOSDK_RESULT_MAX);
        *present = true;
    }
    return 0;
}
