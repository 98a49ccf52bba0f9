/* next-batch: events carry timestamp 0 (forgotten), instead of a time or UINT64_MAX for "now". */
#define CUSTOM_plugin_next_batch
#include "base_plugin.h"

int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = ip;
    uint32_t n = 0;
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) {
        make_event(in, n, in->next++);
        in->events[n++].ts = 0;
    }
    *nevts = n;
    *evts = in->events;
    return n ? 0 : 2;
}
