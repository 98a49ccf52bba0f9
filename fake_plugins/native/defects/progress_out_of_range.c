/* progress: reports 120% (12000 of 10000), with a text that says something else. */
#define CUSTOM_plugin_get_progress
#include "base_plugin.h"

const char *plugin_get_progress(void *s, void *ip, uint32_t *pct) {
    (void)s;
    plugin_instance *in = ip;
    *pct = 12000;
    snprintf(in->progress, sizeof in->progress, "50.00");
    return in->progress;
}
