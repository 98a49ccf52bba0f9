/* event-to-string: returns NULL for even events and invalid UTF-8 for odd ones. */
#define CUSTOM_plugin_event_to_string
#include "base_plugin.h"

const char *plugin_event_to_string(void *sp, const uint8_t *data, uint32_t datalen) {
    plugin_state *s = sp;
    ss_plugin_event evt = {0, data, datalen, 0};
    if (event_number(&evt) % 2 == 0) return NULL;
    snprintf(s->text, sizeof s->text, "\xff\xfe event");
    return s->text;
}
