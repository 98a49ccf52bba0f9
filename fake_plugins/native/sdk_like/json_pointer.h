/*
 * A small JSON reader for the SDK-like fakes: find the value an RFC 6901 pointer designates in a
 * document, and give it as the json plugin of 2022 did (a string unescaped, anything else as
 * compact JSON). No allocation: it walks the text in place. Header-only, static functions.
 */
#ifndef PLUGREF_JSON_POINTER_H
#define PLUGREF_JSON_POINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *jp_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* The end of the string starting at p (p at the opening quote), or NULL. */
static const char *jp_string_end(const char *p, const char *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') { p++; continue; }
        if (*p == '"') return p + 1;
    }
    return NULL;
}

/* The end of the value starting at p, or NULL when the text is not JSON there. */
static const char *jp_value_end(const char *p, const char *end, int depth) {
    p = jp_ws(p, end);
    if (p >= end || depth > 200) return NULL;
    if (*p == '"') return jp_string_end(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = jp_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                p = jp_ws(p, end);
                if (p >= end || *p != '"') return NULL;
                p = jp_string_end(p, end);
                if (!p) return NULL;
                p = jp_ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p++;
            }
            p = jp_value_end(p, end, depth + 1);
            if (!p) return NULL;
            p = jp_ws(p, end);
            if (p >= end) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p++;
        }
    }
    const char *start = p;
    while (p < end && (strchr("+-.0123456789eE", *p) || (*p >= 'a' && *p <= 'z'))) p++;
    return p > start ? p : NULL;
}

static void jp_put_utf8(char **out, char *limit, uint32_t c) {
    char buf[4];
    int n;
    if (c < 0x80) { buf[0] = (char)c; n = 1; }
    else if (c < 0x800) { buf[0] = (char)(0xC0 | (c >> 6)); buf[1] = (char)(0x80 | (c & 0x3F)); n = 2; }
    else if (c < 0x10000) {
        buf[0] = (char)(0xE0 | (c >> 12)); buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (c & 0x3F)); n = 3;
    } else {
        buf[0] = (char)(0xF0 | (c >> 18)); buf[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((c >> 6) & 0x3F)); buf[3] = (char)(0x80 | (c & 0x3F)); n = 4;
    }
    for (int i = 0; i < n && *out < limit; i++) *(*out)++ = buf[i];
}

static uint32_t jp_hex4(const char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (uint32_t)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10);
    }
    return v;
}

/* Unescape the JSON string [p, end) (quotes included) into out (NUL-terminated); its length. */
static size_t jp_unescape(const char *p, const char *end, char *out, size_t cap) {
    char *o = out, *limit = out + cap - 1;
    for (p++, end--; p < end && o < limit; p++) {
        if (*p != '\\') { *o++ = *p; continue; }
        p++;
        switch (*p) {
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                if (end - p < 5) break;
                uint32_t c = jp_hex4(p + 1);
                p += 4;
                if (c >= 0xD800 && c < 0xDC00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u') {
                    uint32_t low = jp_hex4(p + 3);
                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                }
                jp_put_utf8(&o, limit, c);
                break;
            }
            default: *o++ = *p;
        }
    }
    *o = 0;
    return (size_t)(o - out);
}

/* Does the JSON key [k, kend) (quotes included) equal the pointer token [t, tend) (~0 ~1 decoded)? */
static bool jp_key_is(const char *k, const char *kend, const char *t, const char *tend) {
    char key[1024], token[1024];
    size_t n = 0;
    if (kend - k > (long)sizeof key) return false;
    jp_unescape(k, kend, key, sizeof key);
    for (; t < tend && n < sizeof token - 1; t++) {
        if (*t == '~' && t + 1 < tend && (t[1] == '0' || t[1] == '1')) { token[n++] = t[1] == '0' ? '~' : '/'; t++; }
        else token[n++] = *t;
    }
    token[n] = 0;
    return strcmp(key, token) == 0;
}

/* Find the value `pointer` designates in [doc, end): true and its span, or false (no such value). */
static bool jp_find(const char *doc, const char *end, const char *pointer, const char **vstart, const char **vend) {
    const char *p = jp_ws(doc, end);
    if (*pointer && *pointer != '/') return false;
    while (*pointer == '/') {
        const char *token = pointer + 1, *tend = strchr(token, '/');
        if (!tend) tend = token + strlen(token);
        pointer = tend;
        if (p >= end) return false;
        if (*p == '{') {
            p = jp_ws(p + 1, end);
            bool found = false;
            while (p < end && *p == '"') {
                const char *k = p, *kend = jp_string_end(p, end);
                if (!kend) return false;
                p = jp_ws(kend, end);
                if (p >= end || *p != ':') return false;
                p = jp_ws(p + 1, end);
                if (jp_key_is(k, kend, token, tend)) { found = true; break; }
                p = jp_value_end(p, end, 0);
                if (!p) return false;
                p = jp_ws(p, end);
                if (p < end && *p == ',') p = jp_ws(p + 1, end);
            }
            if (!found) return false;
        } else if (*p == '[') {
            long index = 0;
            const char *t = token;
            if (t == tend) return false;
            for (; t < tend; t++) {
                if (*t < '0' || *t > '9') return false;
                index = index * 10 + (*t - '0');
                if (index > 1000000) return false;
            }
            p = jp_ws(p + 1, end);
            for (long i = 0; i < index; i++) {
                p = jp_value_end(p, end, 0);
                if (!p) return false;
                p = jp_ws(p, end);
                if (p >= end || *p != ',') return false;
                p = jp_ws(p + 1, end);
            }
            if (p >= end || *p == ']') return false;
        } else {
            return false;
        }
    }
    const char *e = jp_value_end(p, end, 0);
    if (!e) return false;
    *vstart = p;
    *vend = e;
    return true;
}

/* The value [v, vend) as the json plugin gives it: a string unescaped, other values compact. */
static size_t jp_text(const char *v, const char *vend, char *out, size_t cap) {
    if (*v == '"') return jp_unescape(v, vend, out, cap);
    size_t n = 0;
    for (const char *p = v; p < vend && n < cap - 1; p++) {
        if (*p == '"') {
            const char *e = jp_string_end(p, vend);
            if (!e) e = vend;
            while (p < e && n < cap - 1) out[n++] = *p++;
            p--;
        } else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    return n;
}

#endif
