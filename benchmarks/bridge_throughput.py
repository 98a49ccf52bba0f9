"""Throughput and memory of the ctypes bridge: N events through next_batch + extract_fields.

    python benchmarks/bridge_throughput.py [N] [--batch B]

A small C source plugin, compiled here, makes events on the fly (so the plugin's own memory does
not grow with N) and the loop pulls them through `reference.native.NativeLibrary`, extracting a
uint64 and a string field from each. Max RSS is printed at 10% and 100% of the run: with the
bridge copying and releasing everything per call, the two should be about equal.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference.api import ExtractRequest, FieldType, ReturnCode  # noqa: E402
from reference.native import NativeLibrary  # noqa: E402

SOURCE = r"""
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } ev_t;
typedef struct { uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
                 const char *res_str; uint64_t res_u64; } ef_t;
typedef struct { uint64_t total, made; uint32_t batch; ev_t *evs; char *bufs; char word[32]; } st_t;
const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 1; }
void *plugin_init(const char *config, int32_t *rc) {
    st_t *s = calloc(1, sizeof *s);
    unsigned long long total = 1000000, batch = 64;
    sscanf(config, "%llu %llu", &total, &batch);
    s->total = total; s->batch = (uint32_t)batch;
    s->evs = calloc(batch, sizeof(ev_t)); s->bufs = calloc(batch, 48);
    *rc = 0;
    return s;
}
void plugin_destroy(void *p) { st_t *s = p; free(s->evs); free(s->bufs); free(s); }
const char *plugin_get_last_error(void *p) { (void)p; return ""; }
uint32_t plugin_get_id(void) { return 1000001; }
const char *plugin_get_name(void) { return "bench"; }
const char *plugin_get_description(void) { return "bench"; }
const char *plugin_get_contact(void) { return "bench"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_event_source(void) { return "bench"; }
const char *plugin_get_fields(void) {
    return "[{\"type\": \"uint64\", \"name\": \"bench.count\", \"desc\": \"n\"},"
           " {\"type\": \"string\", \"name\": \"bench.word\", \"desc\": \"w\"}]";
}
void *plugin_open(void *p, const char *params, int32_t *rc) { (void)params; *rc = 0; return p; }
void plugin_close(void *p, void *i) { (void)p; (void)i; }
int32_t plugin_next_batch(void *p, void *i, uint32_t *nevts, ev_t **evts) {
    st_t *s = p; (void)i;
    uint32_t n = 0;
    while (n < s->batch && s->made < s->total) {
        char *b = s->bufs + 48 * n;
        int len = snprintf(b, 48, "%llu;w%llu", (unsigned long long)s->made, (unsigned long long)(s->made % 1000));
        s->evs[n].data = (const uint8_t *)b; s->evs[n].datalen = (uint32_t)len; s->evs[n].ts = s->made;
        n++; s->made++;
    }
    *nevts = n; *evts = s->evs;
    return n ? 0 : 2;
}
const char *plugin_event_to_string(void *p, const uint8_t *d, uint32_t n) { (void)p; (void)d; (void)n; return ""; }
int32_t plugin_extract_fields(void *p, const ev_t *e, uint32_t n, ef_t *f) {
    st_t *s = p;
    const char *semi = memchr(e->data, ';', e->datalen);
    for (uint32_t k = 0; k < n; k++) {
        f[k].field_present = true;
        if (f[k].field_id == 0) f[k].res_u64 = strtoull((const char *)e->data, NULL, 10);
        else {
            size_t len = e->datalen - (size_t)(semi + 1 - (const char *)e->data);
            if (len > sizeof s->word - 1) len = sizeof s->word - 1;
            memcpy(s->word, semi + 1, len); s->word[len] = 0;
            f[k].res_str = s->word;
        }
    }
    return 0;
}
"""


def max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("gcc") is None:
        print("gcc is needed to build the benchmark plugin", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        c_file, so_file = Path(folder, "bench.c"), Path(folder, "bench.so")
        c_file.write_text(SOURCE)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(so_file), str(c_file)], check=True)
        library = NativeLibrary(so_file)
        state, rc = library.init(f"{args.events} {args.batch}")
        instance, rc = library.open(state, "")
        checkpoint = max(args.events // 10, 1)
        seen = 0
        rss_at_10 = None
        start = time.perf_counter()
        while True:
            rc, events = library.next_batch(state, instance)
            for event in events:
                requests = [ExtractRequest(0, "bench.count", "", FieldType.UINT64),
                            ExtractRequest(1, "bench.word", "", FieldType.STRING)]
                library.extract_fields(state, event, requests)
                if requests[0].res_u64 != seen:  # the bridge must hand back this very event
                    raise SystemExit(f"event {seen}: extracted {requests[0].res_u64}")
                seen += 1
                if seen == checkpoint:
                    rss_at_10 = max_rss_kib()
            if rc != ReturnCode.SUCCESS:
                break
        elapsed = time.perf_counter() - start
        library.close(state, instance)
        library.destroy(state)
    rss_at_100 = max_rss_kib()
    print(f"events: {seen} in {elapsed:.2f} s = {seen / elapsed:,.0f} events/s "
          f"(next_batch of {args.batch} + one extract_fields of 2 fields per event)")
    print(f"max RSS at 10%: {rss_at_10} KiB; at 100%: {rss_at_100} KiB; "
          f"growth: {rss_at_100 - (rss_at_10 or 0)} KiB "
          f"({(rss_at_100 - (rss_at_10 or 0)) * 1024 / max(seen - checkpoint, 1):.3f} bytes/event)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
