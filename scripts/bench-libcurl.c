/* The least a libcurl client does per request, for scripts/bench.py: N GETs of one URL with one
 * header, P at once on one curl_multi handle, easy handles and connections reused, bodies
 * dropped. Its CPU time per request is the floor under any libcurl-based prober on this machine.
 * Usage: bench-libcurl URL N P HEADER      prints "N requests in S s" */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t drop(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s URL N P HEADER\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int total = atoi(argv[2]), parallel = atoi(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(NULL, argv[4]);
    CURL **idle = calloc((size_t)parallel, sizeof(CURL *));
    int idleCount = 0, started = 0, done = 0, failed = 0, running = 0;
    for (int i = 0; i < parallel; i++) idle[idleCount++] = curl_easy_init();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (done < total) {
        while (started < total && idleCount > 0) {
            CURL *easy = idle[--idleCount];
            curl_easy_setopt(easy, CURLOPT_URL, url);
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, drop);
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(easy, CURLOPT_PROXY, "");
            curl_multi_add_handle(multi, easy);
            started++;
        }
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            if (message->data.result != CURLE_OK) failed++;
            curl_multi_remove_handle(multi, message->easy_handle);
            curl_easy_reset(message->easy_handle);
            idle[idleCount++] = message->easy_handle;
            done++;
        }
        if (started < total && idleCount > 0) continue;
        /* Wait for a socket, but no longer than libcurl's own next deadline. curl_multi_wait, not
         * curl_multi_poll: when libcurl 7.88 has no socket to wait on between two steps of a
         * transfer, curl_multi_poll (like curl_multi_wait given an extra fd) sleeps the whole
         * timeout, where curl_multi_wait returns at once. One such stall of a second per run
         * halved this loop's rate. A single-threaded loop needs no wake-up fd. */
        long wait = -1;
        curl_multi_timeout(multi, &wait);
        if (wait < 0 || wait > 1000) wait = 1000;
        if (wait > 0) curl_multi_wait(multi, NULL, 0, (int)wait, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d requests in %.3f s\n", total, seconds);
    for (int i = 0; i < idleCount; i++) curl_easy_cleanup(idle[i]);
    free(idle);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
