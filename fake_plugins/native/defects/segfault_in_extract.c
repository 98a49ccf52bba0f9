/* extract: dereferences NULL on the third event ("n=3"). */
#define CUSTOM_plugin_extract_fields
#include "base_plugin.h"

int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                              ss_plugin_extract_field *fields) {
    plugin_state *s = sp;
    for (uint32_t k = 0; k < num_fields; k++) {
        ss_plugin_extract_field *f = &fields[k];
        if (event_number(evt) == 3) {
            volatile char *nowhere = NULL;
            *nowhere = 1;
        }
        f->field_present = f->field_id == 0;
        f->res_u64 = event_number(evt);
        (void)s;
    }
    return 0;
}
