/* next-batch: after EOF the stream starts over, so more events come after the end. */
#define CUSTOM_plugin_next_batch
#include "base_plugin.h"

int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = ip;
    uint32_t n = 0;
    *evts = in->events;
    if (in->next > NUM_EVENTS) {
        in->next = 1; /* the defect: rewinds instead of staying at EOF */
        *nevts = 0;
        return 2;
    }
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) make_event(in, n++, in->next++);
    *nevts = n;
    return 0;
}
