/*
 * Like the json plugin 0.2.2 of early 2022 (Go, plugin-sdk-go v0.1.0): an extractor for the
 * JSON payloads of any source. Fields (IDs in this order, as the real one has them):
 *   json.value[<pointer>]  the value an RFC 6901 pointer designates: a string unescaped, any
 *                          other value as compact JSON; a pointer to no value fails the field
 *   json.obj               the whole payload (the real one pretty-prints it)
 *   json.rawtime           the event timestamp in ns, as decimal text
 *   jevt.value, jevt.obj, jevt.rawtime   the older names of the same fields
 * A payload that is not a JSON object or array fails every field ("invalid json format").
 * Through sdk_go.h it has that SDK's ways: one result buffer per field ID, the whole call fails
 * at the first failing field, "properties":null in get_fields.
 */
#define PLUGIN_TYPE 2
#define PLUGIN_NAME "json"
#define PLUGIN_DESCRIPTION "implements extracting arbitrary fields from inputs formatted as JSON"
#define PLUGIN_CONTACT "github.com/falcosecurity/plugins/ (plugref fake of json 0.2.2)"
#define PLUGIN_VERSION "0.2.2"

struct plugin_data { int unused; };

#include "sdk_go.h"
#include "json_pointer.h"

static const gosdk_field JSON_FIELDS[] = {
    {"string", "json.value", "JSON Value",
     "Extracts a value from a JSON-encoded input. Syntax is json.value[<json pointer>]", true},
    {"string", "json.obj", "JSON Object", "The full json message as a text string.", false},
    {"string", "json.rawtime", "JSON Timestamp", "The time of the event, identical to evt.rawtime.", false},
    {"string", "jevt.value", "JSON Value", "Alias for json.value, provided for backwards compatibility.", true},
    {"string", "jevt.obj", "JSON Object", "Alias for json.obj, provided for backwards compatibility.", false},
    {"string", "jevt.rawtime", "JSON Timestamp", "Alias for json.rawtime, provided for backwards compatibility.", false},
};

static const gosdk_field *plugin_fields(size_t *count) {
    *count = sizeof JSON_FIELDS / sizeof JSON_FIELDS[0];
    return JSON_FIELDS;
}

static int plugin_configure(plugin_data *p, const char *config, char *error) {
    (void)p; (void)config; (void)error;
    return 0;
}

static int plugin_extract_one(plugin_data *p, const ss_plugin_event *evt, uint32_t id, const char *arg, char *str,
                              uint64_t *u64, bool *present, char *error) {
    (void)p; (void)u64;
    const char *doc = (const char *)evt->data, *end = doc + evt->datalen;
    const char *first = jp_ws(doc, end);
    if (first >= end || (*first != '{' && *first != '[') || jp_ws(jp_value_end(first, end, 0) ? jp_value_end(first, end, 0) : doc, end) != end) {
        snprintf(error, GOSDK_ERROR_MAX, "invalid json format");
        return 1;
    }
    switch (id % 3) {
        case 0: {
            const char *v, *vend;
            if (!jp_find(first, end, arg, &v, &vend)) {
                snprintf(error, GOSDK_ERROR_MAX, "json pointer %s: no such value", arg);
                return 1;
            }
            jp_text(v, vend, str, GOSDK_RESULT_MAX);
            break;
        }
        case 1: {
            size_t n = evt->datalen < GOSDK_RESULT_MAX - 1 ? evt->datalen : GOSDK_RESULT_MAX - 1;
            memcpy(str, doc, n);
            str[n] = 0;
            break;
        }
        default:
            snprintf(str, GOSDK_RESULT_MAX, "%llu", (unsigned long long)evt->ts);
    }
    *present = true;
    return 0;
}
