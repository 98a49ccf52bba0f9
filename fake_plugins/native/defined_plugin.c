/*
 * A native plugin (API 0.3.0 contract) whose every answer comes from a definition file, in the
 * format fake_plugins/defined.py accepts and with the same semantics call by call, so that one
 * generated definition can be loaded both as Python and as a native plugin and the answers compared.
 *
 * The definition is the JSON file `<path of this .so>.json`: a shared object cannot be given
 * arguments before plugin_init, yet the info functions (name, fields, ...) are called first, so
 * the path of the library itself is the only input available that early. Each copy of the .so
 * therefore carries its own definition; copies must be distinct files (not hard links), because
 * the dynamic loader treats two names of one inode as one library.
 *
 * A symbol cannot be hidden at run time, so `omit_symbols` (and the symbols DefinedLibrary does
 * not export for a given definition) are obtained by compiling with -DOMIT_<symbol>.
 *
 * A definition that cannot be read or that breaks the format never crashes the host: the info
 * functions give safe answers and plugin_init fails with "definition file <path>: <reason>".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RC_SUCCESS 0
#define RC_FAILURE 1
#define RC_TIMEOUT (-1)
#define RC_EOF 2

#define FTYPE_UINT64 8
#define SCHEMA_NONE 0
#define SCHEMA_JSON 1

/* Helpers some -DOMIT_ builds leave without a caller. */
#define MAYBE_UNUSED __attribute__((unused))

#define MAX_DEFINITION_BYTES (256u * 1024u * 1024u)
#define MAX_JSON_DEPTH 512

typedef struct {
    uint64_t evtnum;
    const uint8_t *data;
    uint32_t datalen;
    uint64_t ts;
} ss_plugin_event;

typedef struct {
    uint32_t field_id;
    const char *field;
    const char *arg;
    uint32_t ftype;
    bool field_present;
    const char *res_str;
    uint64_t res_u64;
} ss_plugin_extract_field;

/* A growable byte buffer; every text this plugin builds lives in one, NUL-terminated. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->oom || b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = true; return; }
    b->p = p;
    b->cap = cap;
    b->p[b->len] = '\0'; /* a buffer is a C string as soon as it exists, even with nothing added */
}

static void buf_add(buf_t *b, const char *s, size_t n) {
    buf_reserve(b, n);
    if (b->oom) return;
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

MAYBE_UNUSED static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }
MAYBE_UNUSED static void buf_chr(buf_t *b, char c) { buf_add(b, &c, 1); }

MAYBE_UNUSED static void buf_clear(buf_t *b) {
    b->len = 0;
    b->oom = false;
    buf_reserve(b, 0);
    if (b->p) b->p[0] = '\0';
}

/* A buffer's text, or "" when memory ran out, so a caller never gets a dangling pointer. */
MAYBE_UNUSED static const char *buf_text(buf_t *b) { return (b->p && !b->oom) ? b->p : ""; }

/* ---------------------------------------------------------------- JSON ---------------------- */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jtype_t;

typedef struct jval {
    jtype_t t;
    const char *raw; /* the value's text in the file, so nested JSON is handed out verbatim */
    size_t rawlen;
    char *str;       /* J_STR: decoded bytes (NUL-terminated); J_NUM: the number text */
    size_t len;
    struct jval **items; /* J_ARR, J_OBJ */
    char **keys;         /* J_OBJ */
    size_t *keylens;
    size_t n;
} jval;

typedef struct {
    const char *s;
    size_t pos, len;
    int depth;
    char err[200];
} jparser;

static void jfree(jval *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        jfree(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->keylens);
    free(v->str);
    free(v);
}

static jval *jfail(jparser *p, const char *what) {
    if (!p->err[0]) snprintf(p->err, sizeof p->err, "invalid JSON at byte %zu: %s", p->pos, what);
    return NULL;
}

static void jskip_ws(jparser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int jhex4(jparser *p, unsigned *out) {
    if (p->pos + 4 > p->len) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

static void put_utf8(buf_t *b, unsigned cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    buf_add(b, out, n);
}

/* Decodes a string literal starting at the opening quote. */
static int jstring(jparser *p, char **out, size_t *outlen) {
    buf_t b = {0};
    p->pos++;
    buf_reserve(&b, 0);
    for (;;) {
        if (p->pos >= p->len) { free(b.p); jfail(p, "unterminated string"); return -1; }
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') break;
        if (c < 0x20) { free(b.p); p->pos--; jfail(p, "control character in string"); return -1; }
        if (c != '\\') { buf_chr(&b, (char)c); continue; }
        if (p->pos >= p->len) { free(b.p); jfail(p, "unterminated escape"); return -1; }
        char e = p->s[p->pos++];
        switch (e) {
        case '"': buf_chr(&b, '"'); break;
        case '\\': buf_chr(&b, '\\'); break;
        case '/': buf_chr(&b, '/'); break;
        case 'b': buf_chr(&b, '\b'); break;
        case 'f': buf_chr(&b, '\f'); break;
        case 'n': buf_chr(&b, '\n'); break;
        case 'r': buf_chr(&b, '\r'); break;
        case 't': buf_chr(&b, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (jhex4(p, &cp)) { free(b.p); jfail(p, "bad \\u escape"); return -1; }
            if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
                p->s[p->pos + 1] == 'u') {
                size_t save = p->pos;
                p->pos += 2;
                if (jhex4(p, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else p->pos = save;
            }
            put_utf8(&b, cp); /* a lone surrogate is kept as its 3-byte form, like WTF-8 */
            break;
        }
        default: free(b.p); p->pos--; jfail(p, "bad escape"); return -1;
        }
    }
    if (b.oom) { free(b.p); jfail(p, "out of memory"); return -1; }
    *out = b.p;
    *outlen = b.len;
    return 0;
}

static jval *jnew(jparser *p, jtype_t t, size_t start) {
    jval *v = calloc(1, sizeof *v);
    if (!v) return jfail(p, "out of memory");
    v->t = t;
    v->raw = p->s + start;
    return v;
}

static bool jdigit(jparser *p) { return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9'; }

static jval *jvalue(jparser *p);

static int jappend(jval *v, jval *item, char *key, size_t keylen) {
    if ((v->n & (v->n - 1)) == 0) { /* grow at powers of two */
        size_t cap = v->n ? v->n * 2 : 4;
        jval **items = realloc(v->items, cap * sizeof *items);
        if (!items) return -1;
        v->items = items;
        if (v->t == J_OBJ) {
            char **keys = realloc(v->keys, cap * sizeof *keys);
            if (!keys) return -1;
            v->keys = keys;
            size_t *kl = realloc(v->keylens, cap * sizeof *kl);
            if (!kl) return -1;
            v->keylens = kl;
        }
    }
    v->items[v->n] = item;
    if (v->t == J_OBJ) { v->keys[v->n] = key; v->keylens[v->n] = keylen; }
    v->n++;
    return 0;
}

static jval *jcontainer(jparser *p, bool object) {
    size_t start = p->pos;
    if (++p->depth > MAX_JSON_DEPTH) return jfail(p, "nested too deeply");
    jval *v = jnew(p, object ? J_OBJ : J_ARR, start);
    if (!v) return NULL;
    p->pos++;
    jskip_ws(p);
    char close = object ? '}' : ']';
    if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; goto done; }
    for (;;) {
        char *key = NULL;
        size_t keylen = 0;
        jskip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') { jfree(v); return jfail(p, "expected a key"); }
            if (jstring(p, &key, &keylen)) { jfree(v); return NULL; }
            jskip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') { free(key); jfree(v); return jfail(p, "expected ':'"); }
            p->pos++;
        }
        jval *item = jvalue(p);
        if (!item || jappend(v, item, key, keylen)) {
            free(key);
            jfree(item);
            jfree(v);
            return item ? jfail(p, "out of memory") : NULL;
        }
        jskip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
        if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; break; }
        jfree(v);
        return jfail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
done:
    p->depth--;
    v->rawlen = (size_t)(p->s + p->pos - v->raw);
    return v;
}

static bool jliteral(jparser *p, const char *word) {
    size_t n = strlen(word);
    if (p->pos + n > p->len || memcmp(p->s + p->pos, word, n) != 0) return false;
    p->pos += n;
    return true;
}

static jval *jvalue(jparser *p) {
    jskip_ws(p);
    if (p->pos >= p->len) return jfail(p, "unexpected end of text");
    size_t start = p->pos;
    char c = p->s[p->pos];
    jval *v;
    if (c == '{' || c == '[') return jcontainer(p, c == '{');
    if (c == '"') {
        v = jnew(p, J_STR, start);
        if (!v) return NULL;
        if (jstring(p, &v->str, &v->len)) { free(v); return NULL; }
    } else if (jliteral(p, "null")) {
        v = jnew(p, J_NULL, start);
    } else if (jliteral(p, "true")) {
        v = jnew(p, J_TRUE, start);
    } else if (jliteral(p, "false")) {
        v = jnew(p, J_FALSE, start);
    } else {
        /* Python's json also reads NaN and Infinity, and json.dumps writes them. */
        if (!(jliteral(p, "NaN") || jliteral(p, "Infinity") || jliteral(p, "-Infinity"))) {
            if (p->s[p->pos] == '-') p->pos++;
            if (!jdigit(p)) return jfail(p, "unexpected character");
            if (p->s[p->pos] == '0') p->pos++;
            else while (jdigit(p)) p->pos++;
            if (p->pos < p->len && p->s[p->pos] == '.') {
                p->pos++;
                if (!jdigit(p)) return jfail(p, "bad number");
                while (jdigit(p)) p->pos++;
            }
            if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
                p->pos++;
                if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
                if (!jdigit(p)) return jfail(p, "bad number");
                while (jdigit(p)) p->pos++;
            }
        }
        v = jnew(p, J_NUM, start);
        if (!v) return NULL;
        v->len = p->pos - start;
        v->str = malloc(v->len + 1);
        if (!v->str) { free(v); return jfail(p, "out of memory"); }
        memcpy(v->str, p->s + start, v->len);
        v->str[v->len] = '\0';
    }
    if (!v) return NULL;
    v->rawlen = p->pos - start;
    return v;
}

/* Python's json keeps the last of duplicate keys, and so does this lookup. */
MAYBE_UNUSED static jval *jget(const jval *obj, const char *key) {
    if (!obj || obj->t != J_OBJ) return NULL;
    size_t kl = strlen(key);
    for (size_t i = obj->n; i-- > 0;)
        if (obj->keylens[i] == kl && memcmp(obj->keys[i], key, kl) == 0) return obj->items[i];
    return NULL;
}

/* An integer number in [0, max]: digits only, as json.dumps writes Python ints. */
MAYBE_UNUSED static bool jas_u64(const jval *v, uint64_t max, uint64_t *out) {
    if (!v || v->t != J_NUM || v->len == 0) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        char c = v->str[i];
        if (c < '0' || c > '9') return false;
        unsigned d = (unsigned)(c - '0');
        if (x > (UINT64_MAX - d) / 10) return false;
        x = x * 10 + d;
    }
    if (x > max) return false;
    *out = x;
    return true;
}

/* Python truthiness of a JSON value. */
MAYBE_UNUSED static bool jtruthy(const jval *v) {
    if (!v) return false;
    switch (v->t) {
    case J_NULL: case J_FALSE: return false;
    case J_TRUE: return true;
    case J_STR: return v->len > 0;
    case J_ARR: case J_OBJ: return v->n > 0;
    case J_NUM:
        for (size_t i = 0; i < v->len; i++) {
            char c = v->str[i];
            if (c == 'e' || c == 'E') break;
            if (c >= '1' && c <= '9') return true;
            if (c == 'N' || c == 'I') return true;
        }
        return false;
    }
    return false;
}

/* ------------------------------------------------- Python str()/repr() of JSON values ---------- */

static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp);

/* repr() of a str as CPython writes it; non-ASCII is judged printable except the C1 controls, NBSP
 * and the soft hyphen (the full Unicode table is out of scope). */
MAYBE_UNUSED static void py_repr_str(buf_t *b, const char *s, size_t n) {
    bool has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    char tmp[16];
    buf_chr(b, q);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = utf8_seq((const unsigned char *)s + i, n - i, &cp);
        if (k == 0) { /* not UTF-8: cannot come from a JSON string; show the byte */
            snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned char)s[i]);
            buf_str(b, tmp);
            i++;
            continue;
        }
        if (cp == (unsigned char)q || cp == '\\') { buf_chr(b, '\\'); buf_chr(b, (char)cp); }
        else if (cp == '\t') buf_str(b, "\\t");
        else if (cp == '\n') buf_str(b, "\\n");
        else if (cp == '\r') buf_str(b, "\\r");
        else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD) {
            snprintf(tmp, sizeof tmp, "\\x%02x", cp);
            buf_str(b, tmp);
        } else buf_add(b, s + i, k);
        i += k;
    }
    buf_chr(b, q);
}

static void py_str(buf_t *b, const jval *v, bool repr) {
    switch (v->t) {
    case J_NULL: buf_str(b, "None"); break;
    case J_TRUE: buf_str(b, "True"); break;
    case J_FALSE: buf_str(b, "False"); break;
    case J_NUM:
        if (strcmp(v->str, "NaN") == 0) buf_str(b, "nan");
        else if (strcmp(v->str, "Infinity") == 0) buf_str(b, "inf");
        else if (strcmp(v->str, "-Infinity") == 0) buf_str(b, "-inf");
        else buf_add(b, v->str, v->len);
        break;
    case J_STR:
        if (repr) py_repr_str(b, v->str, v->len);
        else buf_add(b, v->str, v->len);
        break;
    case J_ARR:
        buf_chr(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i) buf_str(b, ", ");
            py_str(b, v->items[i], true);
        }
        buf_chr(b, ']');
        break;
    case J_OBJ:
        buf_chr(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i) buf_str(b, ", ");
            py_repr_str(b, v->keys[i], v->keylens[i]);
            buf_str(b, ": ");
            py_str(b, v->items[i], true);
        }
        buf_chr(b, '}');
        break;
    }
}

/* ---------------------------------------------------------------- UTF-8 --------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 when the first byte starts none. */
MAYBE_UNUSED static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp) {
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF, v;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    for (size_t i = 1; i <= need; i++) {
        if (i >= n) return 0;
        unsigned d = s[i];
        if (d < lo || d > hi) return 0;
        lo = 0x80; hi = 0xBF;
        v = (v << 6) | (d & 0x3F);
    }
    *cp = v;
    return need + 1;
}

/* bytes.decode("utf-8", "replace") re-encoded: one U+FFFD per maximal invalid subpart, as Python does. */
MAYBE_UNUSED static void utf8_sanitize(buf_t *b, const unsigned char *s, size_t n) {
    buf_clear(b);
    size_t i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_seq(s + i, n - i, &cp);
        if (k) { buf_add(b, (const char *)s + i, k); i += k; continue; }
        /* Skip the longest prefix that could still have become a valid sequence. */
        unsigned c = s[i];
        size_t need = (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2 : (c >= 0xF0 && c <= 0xF4) ? 3 : 0;
        size_t j = 1;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        while (j <= need && i + j < n && s[i + j] >= lo && s[i + j] <= hi) { j++; lo = 0x80; hi = 0xBF; }
        buf_str(b, "\xEF\xBF\xBD");
        i += j;
    }
}

/* ------------------------------------------------------------ the definition ---------------- */

typedef struct {
    char *data;
    size_t len;
    uint64_t ts;
} dev_t_;

typedef struct {
    uint64_t events;
    int32_t rc;
    const char *error; /* NULL for a JSON null */
} dstep_t;

static struct {
    int state; /* 0 not read yet, 1 usable, -1 broken */
    char path[4096];
    char *text;
    jval *root;
    buf_t error;
    dev_t_ *events;
    size_t nevents;
    dstep_t *steps;
    size_t nsteps;
    uint64_t batch_size;
    char *fields_raw, *sources_raw, *schema_raw, *params_raw;
} def;

static void self_anchor(void) {}

static int def_fail(const char *fmt, const char *detail) {
    buf_clear(&def.error);
    buf_str(&def.error, "definition file ");
    buf_str(&def.error, def.path);
    buf_str(&def.error, ": ");
    char tmp[512];
    snprintf(tmp, sizeof tmp, fmt, detail ? detail : "");
    buf_str(&def.error, tmp);
    def.state = -1;
    return -1;
}

/* The text get_<key> answers, as DefinedLibrary._json: `<key>_json` verbatim (NULL unless a string),
 * else the value of `<key>` as JSON text (the file's own spelling of it), else `fallback`. */
static char *def_json_text(const char *key, const char *fallback) {
    char rawkey[64];
    snprintf(rawkey, sizeof rawkey, "%s_json", key);
    jval *raw = jget(def.root, rawkey);
    const char *src = fallback;
    size_t n = strlen(fallback);
    if (raw) {
        if (raw->t != J_STR) return NULL;
        src = raw->str;
        n = raw->len;
    } else {
        jval *v = jget(def.root, key);
        if (v) { src = v->raw; n = v->rawlen; }
    }
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, src, n);
    out[n] = '\0';
    return out;
}

static int def_check(void) {
    jval *root = def.root;
    char what[160];
    if (!root || root->t != J_OBJ) return def_fail("%sa plugin definition must be a JSON object", "");
    uint64_t u;
    jval *v;
    if ((v = jget(root, "type")) && !jas_u64(v, UINT32_MAX, &u))
        return def_fail("%stype must be an integer from 0 to 4294967295", "");
    if ((v = jget(root, "id")) && !jas_u64(v, UINT32_MAX, &u))
        return def_fail("%sid must be an integer from 0 to 4294967295", "");
    def.batch_size = 1;
    if ((v = jget(root, "batch_size")) && !jas_u64(v, UINT32_MAX, &def.batch_size))
        return def_fail("%sbatch_size must be a non-negative integer", "");

    jval *events = jget(root, "events");
    if (events && events->t != J_ARR) return def_fail("%sevents must be an array", "");
    size_t nev = events ? events->n : 0;
    def.events = calloc(nev ? nev : 1, sizeof *def.events);
    if (!def.events) return def_fail("%sout of memory", "");
    for (size_t i = 0; i < nev; i++) {
        jval *e = events->items[i];
        dev_t_ *out = &def.events[i];
        if (e->t != J_OBJ) { snprintf(what, sizeof what, "events[%zu] must be an object", i); return def_fail("%s", what); }
        jval *ts = jget(e, "ts");
        out->ts = UINT64_MAX;
        if (ts && !(ts->t == J_STR && strcmp(ts->str, "now") == 0) && !jas_u64(ts, UINT64_MAX, &out->ts)) {
            snprintf(what, sizeof what, "events[%zu].ts must be \"now\" or an integer from 0 to 2^64-1", i);
            return def_fail("%s", what);
        }
        buf_t payload = {0};
        buf_reserve(&payload, 0);
        jval *data = jget(e, "data");
        if (data) {
            if (data->t != J_STR) { snprintf(what, sizeof what, "events[%zu].data must be a string", i); return def_fail("%s", what); }
            buf_add(&payload, data->str, data->len);
        } else {
            jval *values = jget(e, "values");
            if (values && values->t != J_OBJ) {
                snprintf(what, sizeof what, "events[%zu].values must be an object", i);
                return def_fail("%s", what);
            }
            for (size_t k = 0; values && k < values->n; k++) {
                if (k) buf_chr(&payload, ';');
                buf_add(&payload, values->keys[k], values->keylens[k]);
                buf_chr(&payload, '=');
                py_str(&payload, values->items[k], false);
            }
        }
        if (payload.oom || payload.len > UINT32_MAX) { free(payload.p); return def_fail("%sevent payload too large", ""); }
        out->data = payload.p;
        out->len = payload.len;
        def.nevents = i + 1;
    }

    jval *batches = jget(root, "batches");
    if (batches && batches->t != J_ARR) return def_fail("%sbatches must be an array", "");
    size_t nb = batches ? batches->n : 0;
    def.steps = calloc(nb ? nb : 1, sizeof *def.steps);
    if (!def.steps) return def_fail("%sout of memory", "");
    for (size_t i = 0; i < nb; i++) {
        jval *s = batches->items[i];
        dstep_t *out = &def.steps[i];
        if (s->t != J_OBJ) { snprintf(what, sizeof what, "batches[%zu] must be an object", i); return def_fail("%s", what); }
        out->events = 0;
        if ((v = jget(s, "events")) && !jas_u64(v, UINT64_MAX, &out->events)) {
            snprintf(what, sizeof what, "batches[%zu].events must be a non-negative integer", i);
            return def_fail("%s", what);
        }
        out->rc = RC_SUCCESS;
        if ((v = jget(s, "rc"))) {
            if (v->t == J_STR && strcmp(v->str, "success") == 0) out->rc = RC_SUCCESS;
            else if (v->t == J_STR && strcmp(v->str, "timeout") == 0) out->rc = RC_TIMEOUT;
            else if (v->t == J_STR && strcmp(v->str, "eof") == 0) out->rc = RC_EOF;
            else if (v->t == J_STR && strcmp(v->str, "failure") == 0) out->rc = RC_FAILURE;
            else {
                snprintf(what, sizeof what, "batches[%zu].rc must be one of success, timeout, eof, failure", i);
                return def_fail("%s", what);
            }
        }
        out->error = "";
        if ((v = jget(s, "error"))) out->error = v->t == J_STR ? v->str : NULL;
        def.nsteps = i + 1;
    }

    def.fields_raw = def_json_text("fields", "[]");
    def.sources_raw = def_json_text("extract_event_sources", "[]");
    def.params_raw = def_json_text("open_params", "[]");
    jval *schema = jget(root, "init_schema");
    if (schema && schema->t != J_NULL) {
        def.schema_raw = malloc(schema->rawlen + 1);
        if (def.schema_raw) { memcpy(def.schema_raw, schema->raw, schema->rawlen); def.schema_raw[schema->rawlen] = '\0'; }
    }
    return 0;
}

/* Reads and checks the definition once; every entry point calls this first. */
MAYBE_UNUSED static bool def_ready(void) {
    if (def.state != 0) return def.state > 0;
    Dl_info info;
    const char *self = NULL;
    if (dladdr((void *)(uintptr_t)&self_anchor, &info) && info.dli_fname) self = info.dli_fname;
    snprintf(def.path, sizeof def.path, "%s.json", self ? self : "<unknown library path>");
    if (!self) { def_fail("%scannot find the path of the plugin library (dladdr failed)", ""); return false; }
    FILE *f = fopen(def.path, "rb");
    if (!f) { def_fail("cannot open: %s", strerror(errno)); return false; }
    buf_t text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_add(&text, chunk, n);
        if (text.oom || text.len > MAX_DEFINITION_BYTES) break;
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error) { free(text.p); def_fail("%scannot read the file", ""); return false; }
    if (text.oom || text.len > MAX_DEFINITION_BYTES) { free(text.p); def_fail("%sfile too large or out of memory", ""); return false; }
    def.text = text.p ? text.p : strdup("");
    jparser p = {.s = def.text, .pos = 0, .len = text.len, .depth = 0, .err = ""};
    def.root = jvalue(&p);
    if (def.root) {
        jskip_ws(&p);
        if (p.pos != p.len) { jfree(def.root); def.root = NULL; jfail(&p, "extra data after the value"); }
    }
    if (!def.root) { def_fail("%s", p.err[0] ? p.err : "invalid JSON"); return false; }
    if (def_check() != 0) return false;
    def.state = 1;
    return true;
}

/* `key` as a string answer: the default when absent, NULL when present but not a string
 * (DefinedLibrary hands back the non-string, which the loader treats as NULL). */
MAYBE_UNUSED static const char *def_string(const char *key, const char *fallback) {
    jval *v = jget(def.root, key);
    if (!v) return fallback;
    return v->t == J_STR ? v->str : NULL;
}

/* ---------------------------------------------------------------- plugin state -------------- */

typedef struct {
    char *last_error; /* NULL: the definition said null */
    buf_t extract_buf;
    buf_t results_buf;
    size_t *offsets;
    size_t offsets_cap;
    buf_t to_string_buf;
} state_t;

typedef struct {
    size_t position;
    size_t step;
    bool ended;
    ss_plugin_event *batch;
    size_t batch_cap;
    buf_t progress;
} instance_t;

MAYBE_UNUSED static void set_error(state_t *s, const char *text) {
    char *copy = text ? strdup(text) : NULL;
    free(s->last_error);
    s->last_error = (text && !copy) ? NULL : copy;
}

/* ---------------------------------------------------------------- exported API ------------- */

#define EXPORT __attribute__((visibility("default")))

#ifndef OMIT_plugin_get_required_api_version
EXPORT const char *plugin_get_required_api_version(void) {
    if (!def_ready()) return "0.3.0";
    return def_string("required_api_version", "0.3.0");
}
#endif

#ifndef OMIT_plugin_get_type
EXPORT uint32_t plugin_get_type(void) {
    uint64_t t = 1;
    if (def_ready()) jas_u64(jget(def.root, "type"), UINT32_MAX, &t);
    return (uint32_t)t;
}
#endif

#ifndef OMIT_plugin_init
EXPORT void *plugin_init(const char *config, int32_t *rc) {
    (void)config;
    bool ready = def_ready();
    if (ready && jtruthy(jget(def.root, "init_returns_null"))) {
        *rc = RC_FAILURE;
        return NULL;
    }
    state_t *s = calloc(1, sizeof *s);
    if (!s) { *rc = RC_FAILURE; return NULL; }
    set_error(s, "");
    *rc = RC_SUCCESS;
    if (!ready) {
        set_error(s, buf_text(&def.error));
        *rc = RC_FAILURE;
    } else {
        jval *e = jget(def.root, "init_error");
        if (e) {
            set_error(s, e->t == J_STR ? e->str : NULL);
            *rc = RC_FAILURE;
        }
    }
    return s;
}
#endif

#ifndef OMIT_plugin_destroy
EXPORT void plugin_destroy(void *sp) {
    state_t *s = sp;
    if (!s) return;
    free(s->last_error);
    free(s->extract_buf.p);
    free(s->results_buf.p);
    free(s->offsets);
    free(s->to_string_buf.p);
    free(s);
}
#endif

#ifndef OMIT_plugin_get_last_error
EXPORT const char *plugin_get_last_error(void *sp) {
    state_t *s = sp;
    return s ? s->last_error : NULL;
}
#endif

#ifndef OMIT_plugin_get_id
EXPORT uint32_t plugin_get_id(void) {
    uint64_t id = 0;
    if (!def_ready()) return 999; /* the development ID: loads with a warning, so init can explain */
    jas_u64(jget(def.root, "id"), UINT32_MAX, &id);
    return (uint32_t)id;
}
#endif

#ifndef OMIT_plugin_get_name
EXPORT const char *plugin_get_name(void) {
    if (!def_ready()) return "invalid_definition";
    return def_string("name", "");
}
#endif

#ifndef OMIT_plugin_get_description
EXPORT const char *plugin_get_description(void) {
    if (!def_ready()) return buf_text(&def.error);
    return def_string("description", "");
}
#endif

#ifndef OMIT_plugin_get_contact
EXPORT const char *plugin_get_contact(void) {
    if (!def_ready()) return "";
    return def_string("contact", "");
}
#endif

#ifndef OMIT_plugin_get_version
EXPORT const char *plugin_get_version(void) {
    if (!def_ready()) return "0.0.0";
    return def_string("version", "0.1.0");
}
#endif

#ifndef OMIT_plugin_get_event_source
EXPORT const char *plugin_get_event_source(void) {
    if (!def_ready()) return "invalid_definition";
    return def_string("event_source", "");
}
#endif

#ifndef OMIT_plugin_get_fields
EXPORT const char *plugin_get_fields(void) {
    if (!def_ready()) return "[]";
    return def.fields_raw;
}
#endif

#ifndef OMIT_plugin_get_extract_event_sources
EXPORT const char *plugin_get_extract_event_sources(void) {
    if (!def_ready()) return "[]";
    return def.sources_raw;
}
#endif

#ifndef OMIT_plugin_get_init_schema
EXPORT const char *plugin_get_init_schema(uint32_t *schema_type) {
    *schema_type = SCHEMA_NONE;
    if (!def_ready()) return "";
    jval *raw = jget(def.root, "init_schema_json");
    if (raw) {
        *schema_type = SCHEMA_JSON;
        return raw->t == J_STR ? raw->str : NULL;
    }
    if (!def.schema_raw) return "";
    *schema_type = SCHEMA_JSON;
    return def.schema_raw;
}
#endif

#ifndef OMIT_plugin_open
EXPORT void *plugin_open(void *sp, const char *params, int32_t *rc) {
    (void)params;
    state_t *s = sp;
    *rc = RC_FAILURE;
    if (!s) return NULL;
    if (!def_ready()) { set_error(s, buf_text(&def.error)); return NULL; }
    jval *e = jget(def.root, "open_error");
    if (e) { set_error(s, e->t == J_STR ? e->str : NULL); return NULL; }
    instance_t *in = calloc(1, sizeof *in);
    if (!in) { set_error(s, "out of memory"); return NULL; }
    *rc = RC_SUCCESS;
    return in;
}
#endif

#ifndef OMIT_plugin_close
EXPORT void plugin_close(void *sp, void *ip) {
    (void)sp;
    instance_t *in = ip;
    if (!in) return;
    free(in->batch);
    free(in->progress.p);
    free(in);
}
#endif

#ifndef OMIT_plugin_next_batch
EXPORT int32_t plugin_next_batch(void *sp, void *ip, uint32_t *nevts, void **evts) {
    state_t *s = sp;
    instance_t *in = ip;
    *nevts = 0;
    *evts = NULL;
    if (!s || !in || def.state <= 0) return RC_FAILURE;
    if (in->ended) return RC_EOF;
    uint64_t count;
    int32_t rc;
    if (in->step < def.nsteps) {
        const dstep_t *step = &def.steps[in->step++];
        count = step->events;
        rc = step->rc;
        if (rc == RC_FAILURE) set_error(s, step->error);
    } else {
        count = def.batch_size;
        rc = RC_SUCCESS;
        if (in->position >= def.nevents) { count = 0; rc = RC_EOF; }
    }
    size_t remaining = def.nevents - in->position;
    size_t n = count < remaining ? (size_t)count : remaining;
    if (n > UINT32_MAX) n = UINT32_MAX;
    if (n > in->batch_cap) {
        ss_plugin_event *b = realloc(in->batch, n * sizeof *b);
        if (!b) { set_error(s, "out of memory"); return RC_FAILURE; }
        in->batch = b;
        in->batch_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const dev_t_ *e = &def.events[in->position + i];
        in->batch[i].evtnum = 0;
        in->batch[i].data = (const uint8_t *)e->data;
        in->batch[i].datalen = (uint32_t)e->len;
        in->batch[i].ts = e->ts;
    }
    in->position += n;
    if (rc == RC_EOF) in->ended = true;
    *nevts = (uint32_t)n;
    *evts = n ? in->batch : NULL;
    return rc;
}
#endif

#ifndef OMIT_plugin_get_progress
EXPORT const char *plugin_get_progress(void *sp, void *ip, uint32_t *progress_pct) {
    (void)sp;
    instance_t *in = ip;
    *progress_pct = 0;
    if (!in) return "";
    size_t total = def.nevents > 0 ? def.nevents : 1;
    uint64_t permyriad = (uint64_t)in->position * 10000u / total;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%llu.%02llu", (unsigned long long)(permyriad / 100),
             (unsigned long long)(permyriad % 100));
    buf_clear(&in->progress);
    buf_str(&in->progress, tmp);
    *progress_pct = (uint32_t)permyriad;
    return buf_text(&in->progress);
}
#endif

#ifndef OMIT_plugin_event_to_string
EXPORT const char *plugin_event_to_string(void *sp, const uint8_t *data, uint32_t datalen) {
    state_t *s = sp;
    if (!s) return "";
    utf8_sanitize(&s->to_string_buf, data ? data : (const uint8_t *)"", data ? datalen : 0);
    return buf_text(&s->to_string_buf);
}
#endif

#ifndef OMIT_plugin_extract_fields
/* The first `key=value` item of the decoded payload whose key is field (no arg) or field[arg],
 * as DefinedLibrary's split on ';' and partition on '=' with setdefault finds it. */
static bool find_value(const char *payload, size_t len, const char *field, const char *arg, size_t *vstart,
                       size_t *vlen) {
    size_t flen = strlen(field), alen = arg ? strlen(arg) : 0;
    for (size_t i = 0; i <= len;) {
        size_t end = i;
        while (end < len && payload[end] != ';') end++;
        size_t eq = i;
        while (eq < end && payload[eq] != '=') eq++;
        if (eq < end) {
            const char *key = payload + i;
            size_t klen = eq - i;
            bool match = alen == 0 ? (klen == flen && memcmp(key, field, flen) == 0)
                                   : (klen == flen + alen + 2 && memcmp(key, field, flen) == 0 && key[flen] == '[' &&
                                      memcmp(key + flen + 1, arg, alen) == 0 && key[flen + 1 + alen] == ']');
            if (match) {
                *vstart = eq + 1;
                *vlen = end - eq - 1;
                return true;
            }
        }
        i = end + 1;
    }
    return false;
}

EXPORT int32_t plugin_extract_fields(void *sp, const ss_plugin_event *evt, uint32_t num_fields,
                                     ss_plugin_extract_field *fields) {
    state_t *s = sp;
    if (!s || !evt || (num_fields && !fields)) return RC_FAILURE;
    utf8_sanitize(&s->extract_buf, evt->data ? evt->data : (const uint8_t *)"", evt->data ? evt->datalen : 0);
    if (s->extract_buf.oom) { set_error(s, "out of memory"); return RC_FAILURE; }
    const char *payload = buf_text(&s->extract_buf);
    size_t plen = s->extract_buf.len;
    /* String results are copied into one arena; their pointers are set only once every copy is
     * made, because the arena may move while it grows. It lives until the next call. */
    buf_clear(&s->results_buf);
    if (num_fields > s->offsets_cap) {
        size_t *o = realloc(s->offsets, num_fields * sizeof *o);
        if (!o) { set_error(s, "out of memory"); return RC_FAILURE; }
        s->offsets = o;
        s->offsets_cap = num_fields;
    }
    for (uint32_t f = 0; f < num_fields; f++) {
        ss_plugin_extract_field *req = &fields[f];
        const char *name = req->field ? req->field : "";
        size_t vs = 0, vl = 0;
        req->field_present = find_value(payload, plen, name, req->arg, &vs, &vl);
        if (!req->field_present) continue;
        const char *value = payload + vs;
        if (req->ftype == FTYPE_UINT64) {
            uint64_t x = 0;
            bool ok = vl > 0;
            for (size_t i = 0; ok && i < vl; i++) {
                unsigned d = (unsigned)(value[i] - '0');
                if (value[i] < '0' || value[i] > '9' || x > (UINT64_MAX - d) / 10) ok = false;
                else x = x * 10 + d;
            }
            if (!ok) {
                buf_t msg = {0};
                buf_str(&msg, "field ");
                buf_str(&msg, name);
                buf_str(&msg, ": ");
                py_repr_str(&msg, value, vl);
                buf_str(&msg, " is not a uint64");
                set_error(s, buf_text(&msg));
                free(msg.p);
                return RC_FAILURE;
            }
            req->res_u64 = x;
        } else {
            s->offsets[f] = s->results_buf.len;
            buf_add(&s->results_buf, value, vl);
            buf_chr(&s->results_buf, '\0');
            if (s->results_buf.oom) { set_error(s, "out of memory"); return RC_FAILURE; }
        }
    }
    for (uint32_t f = 0; f < num_fields; f++)
        if (fields[f].field_present && fields[f].ftype != FTYPE_UINT64) fields[f].res_str = s->results_buf.p + s->offsets[f];
    return RC_SUCCESS;
}
#endif

#ifndef OMIT_plugin_list_open_params
EXPORT const char *plugin_list_open_params(void *sp, int32_t *rc) {
    (void)sp;
    *rc = RC_SUCCESS;
    if (!def_ready()) return "[]";
    return def.params_raw;
}
#endif
