/* next-batch: event_to_string formats into the buffer of the first event of the batch, which the
 * framework may still read until the next next_batch call. */
#define CUSTOM_plugin_event_to_string
#define CUSTOM_plugin_next_batch
#include "base_plugin.h"

static plugin_instance *current;

int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = current = ip;
    uint32_t n = 0;
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) make_event(in, n++, in->next++);
    *nevts = n;
    *evts = in->events;
    return n ? 0 : 2;
}

const char *plugin_event_to_string(void *s, const uint8_t *data, uint32_t datalen) {
    (void)s;
    char *out = current ? current->payloads[0] : ((plugin_state *)s)->text;
    char copy[PAYLOAD_MAX];
    snprintf(copy, sizeof copy, "%.*s", (int)datalen, (const char *)data);
    snprintf(out, PAYLOAD_MAX, "<%s>", copy);
    return out;
}
