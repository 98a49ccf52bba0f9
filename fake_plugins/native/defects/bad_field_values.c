/* extract: the string field defect.text comes back as invalid UTF-8 (a Latin-1 byte), and
 * defect.arg is marked present with no string (as if it were a uint64). */
#define CUSTOM_plugin_extract_fields
#include "base_plugin.h"

int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                              ss_plugin_extract_field *fields) {
    plugin_state *s = sp;
    for (uint32_t k = 0; k < num_fields; k++) {
        ss_plugin_extract_field *f = &fields[k];
        f->field_present = true;
        if (f->field_id == 0) {
            f->res_u64 = event_number(evt);
        } else if (f->field_id == 1) {
            snprintf(s->results[1], sizeof s->results[1], "caf\xe9 %llu", (unsigned long long)event_number(evt));
            f->res_str = s->results[1];
        } else {
            f->res_str = NULL;
            f->res_u64 = 42;
        }
    }
    return 0;
}
