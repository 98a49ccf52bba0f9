/* open: fails for any params but "", with an empty last error, though list_open_params suggests
 * params of its own. */
#define CUSTOM_plugin_open
#define OPEN_PARAMS_JSON "[{\"value\": \"\", \"desc\": \"default\"}, {\"value\": \"/var/log/app.log\", \"desc\": \"a file\"}]"
#include "base_plugin.h"

void *plugin_open(void *s, const char *params, int32_t *rc) {
    (void)s;
    if (params[0]) { *rc = 1; return NULL; }
    plugin_instance *in = calloc(1, sizeof *in);
    in->next = 1;
    *rc = 0;
    return in;
}
