/* teardown: close (or destroy, built with -DABORT_IN_DESTROY) aborts, as a double free would. */
#define CUSTOM_plugin_close
#define CUSTOM_plugin_destroy
#include "base_plugin.h"

void plugin_close(void *s, void *in) {
    (void)s;
#ifndef ABORT_IN_DESTROY
    fprintf(stderr, "abort_in_close: double free in plugin_close\n");
    abort();
#endif
    free(in);
}

void plugin_destroy(void *s) {
#ifdef ABORT_IN_DESTROY
    fprintf(stderr, "abort_in_close: double free in plugin_destroy\n");
    abort();
#endif
    free(s);
}
