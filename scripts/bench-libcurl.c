/* The least a libcurl client does per request, for scripts/bench.py: N GETs of one URL with one
 * header, P at once, easy handles and connections reused, bodies dropped; with T threads, each
 * runs its own curl_multi loop with N/T requests, P/T at once. Its time and CPU per request are
 * the floor under any libcurl-based prober on this machine.
 * Usage: bench-libcurl URL N P HEADER [T]      prints "N requests in S s" */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct job {
    const char *url;
    const char *header;
    int total, parallel, failed;
};

static size_t drop(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

static void *run(void *argument) {
    struct job *job = argument;
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(NULL, job->header);
    CURL **idle = calloc((size_t)job->parallel, sizeof(CURL *));
    int idleCount = 0, started = 0, done = 0, running = 0;
    for (int i = 0; i < job->parallel; i++) idle[idleCount++] = curl_easy_init();
    while (done < job->total) {
        while (started < job->total && idleCount > 0) {
            CURL *easy = idle[--idleCount];
            curl_easy_setopt(easy, CURLOPT_URL, job->url);
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
            if (message->data.result != CURLE_OK) job->failed++;
            curl_multi_remove_handle(multi, message->easy_handle);
            curl_easy_reset(message->easy_handle);
            idle[idleCount++] = message->easy_handle;
            done++;
        }
        if (started < job->total && idleCount > 0) continue;
        /* Wait for a socket, but no longer than libcurl's own next deadline. curl_multi_wait, not
         * curl_multi_poll: when libcurl 7.88 has no socket to wait on between two steps of a
         * transfer, curl_multi_poll (like curl_multi_wait given an extra fd) sleeps the whole
         * timeout, where curl_multi_wait returns at once. One such stall of a second per run
         * halved this loop's rate. A loop on its own thread needs no wake-up fd. */
        long wait = -1;
        curl_multi_timeout(multi, &wait);
        if (wait < 0 || wait > 1000) wait = 1000;
        if (wait > 0) curl_multi_wait(multi, NULL, 0, (int)wait, NULL);
    }
    for (int i = 0; i < idleCount; i++) curl_easy_cleanup(idle[i]);
    free(idle);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s URL N P HEADER [THREADS]\n", argv[0]);
        return 2;
    }
    int total = atoi(argv[2]), parallel = atoi(argv[3]), threads = argc == 6 ? atoi(argv[5]) : 1;
    if (total < 1 || threads < 1 || threads > 16 || parallel < threads) {
        fprintf(stderr, "N must be positive and 1 <= THREADS <= min(16, P)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct job jobs[16];
    pthread_t ids[16];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) {
        /* The first threads take the remainders, so the counts add up to N and P. */
        jobs[i] = (struct job){argv[1], argv[4], total / threads + (i < total % threads),
                               parallel / threads + (i < parallel % threads), 0};
        pthread_create(&ids[i], NULL, run, &jobs[i]);
    }
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        failed += jobs[i].failed;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d requests in %.3f s\n", total, seconds);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
