#include <curl/curl.h>

// curl_easy_setopt/getinfo are variadic: Swift cannot call them, so these
// typed wrappers are the only way in.
static inline CURLcode aiops_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode aiops_curl_setopt_ptr(CURL *c, CURLoption o, const void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode aiops_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*aiops_curl_write_cb)(char *, size_t, size_t, void *);
static inline CURLcode aiops_curl_setopt_write(CURL *c, CURLoption o, aiops_curl_write_cb f) { return curl_easy_setopt(c, o, f); }
static inline CURLcode aiops_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
