/* next-batch: the second batch is SUCCESS with zero events (libs fails: unexpected 0 size event). */
#define CUSTOM_plugin_next_batch
#include "base_plugin.h"

int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = ip;
    static int calls;
    *evts = in->events;
    if (++calls == 2) { *nevts = 0; return 0; }
    uint32_t n = 0;
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) make_event(in, n++, in->next++);
    *nevts = n;
    return n ? 0 : 2;
}
