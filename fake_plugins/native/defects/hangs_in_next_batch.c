/* next-batch: the second call never returns (a blocking read with no timeout). */
#define CUSTOM_plugin_next_batch
#include "base_plugin.h"

int32_t plugin_next_batch(void *s, void *ip, uint32_t *nevts, ss_plugin_event **evts) {
    (void)s;
    plugin_instance *in = ip;
    if (in->next > 1) for (;;) sleep(1);
    uint32_t n = 0;
    while (n < BATCH_SIZE && in->next <= NUM_EVENTS) make_event(in, n++, in->next++);
    *nevts = n;
    *evts = in->events;
    return 0;
}
