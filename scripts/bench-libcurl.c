/* The least a libcurl client does per request, for scripts/bench.py: N GETs of one URL with one
 * header, P at once, easy handles and connections reused, bodies dropped; with T threads, each
 * runs its own curl_multi loop with N/T requests, P/T at once. Its time and CPU per request are
 * the floor under any libcurl-based prober on this machine. With TOKENS (a file, one token a line,
 * at least N lines), request i sends HEADER followed by token i, a header list built per request,
 * as a prober sending N different credentials must (one thread only). HEADER may hold several
 * header lines separated by '\n' (the token then ends the last one): the same request bytes as
 * revenant's, whose GETs also carry a User-Agent line.
 * Usage: bench-libcurl URL N P HEADER [T [TOKENS]]      prints "N requests in S s" */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job {
    const char *url;
    struct curl_slist *fixed; /* HEADER's lines but the last */
    const char *header;
    char **tokens; /* NULL: every request sends `header` as it is */
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
    struct curl_slist *headers = NULL;
    for (struct curl_slist *line = job->fixed; line; line = line->next) headers = curl_slist_append(headers, line->data);
    headers = curl_slist_append(headers, job->header);
    CURL **idle = calloc((size_t)job->parallel, sizeof(CURL *));
    /* With tokens: each easy handle's own header list (index by a handle's slot in `lists`). */
    CURL **handles = calloc((size_t)job->parallel, sizeof(CURL *));
    struct curl_slist **lists = calloc((size_t)job->parallel, sizeof(struct curl_slist *));
    char line[512];
    int idleCount = 0, started = 0, done = 0, running = 0;
    for (int i = 0; i < job->parallel; i++) idle[idleCount++] = handles[i] = curl_easy_init();
    while (done < job->total) {
        while (started < job->total && idleCount > 0) {
            CURL *easy = idle[--idleCount];
            curl_easy_setopt(easy, CURLOPT_URL, job->url);
            if (job->tokens) {
                int slot = 0;
                while (handles[slot] != easy) slot++;
                snprintf(line, sizeof line, "%s%s", job->header, job->tokens[started]);
                curl_slist_free_all(lists[slot]);
                lists[slot] = NULL;
                for (struct curl_slist *fixed = job->fixed; fixed; fixed = fixed->next) lists[slot] = curl_slist_append(lists[slot], fixed->data);
                lists[slot] = curl_slist_append(lists[slot], line);
                curl_easy_setopt(easy, CURLOPT_HTTPHEADER, lists[slot]);
            } else {
                curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
            }
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
    for (int i = 0; i < job->parallel; i++) curl_slist_free_all(lists[i]);
    free(idle);
    free(handles);
    free(lists);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: %s URL N P HEADER [THREADS [TOKENS]]\n", argv[0]);
        return 2;
    }
    int total = atoi(argv[2]), parallel = atoi(argv[3]), threads = argc >= 6 ? atoi(argv[5]) : 1;
    if (total < 1 || threads < 1 || threads > 16 || parallel < threads || (argc == 7 && threads != 1)) {
        fprintf(stderr, "N must be positive and 1 <= THREADS <= min(16, P); TOKENS needs THREADS 1\n");
        return 2;
    }
    char **tokens = NULL;
    if (argc == 7) {
        /* Read before the clock starts: N tokens, one a line (at most 255 bytes each). */
        FILE *file = fopen(argv[6], "r");
        if (!file) {
            perror(argv[6]);
            return 2;
        }
        tokens = calloc((size_t)total, sizeof(char *));
        char buffer[256];
        for (int i = 0; i < total; i++) {
            if (!fgets(buffer, sizeof buffer, file)) {
                fprintf(stderr, "%s: fewer than N tokens\n", argv[6]);
                return 2;
            }
            buffer[strcspn(buffer, "\r\n")] = 0;
            tokens[i] = strdup(buffer);
        }
        fclose(file);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* HEADER's lines: all but the last are sent as they are; the last one is `header` below. */
    struct curl_slist *fixed = NULL;
    char *header = strdup(argv[4]), *newline;
    while ((newline = strchr(header, '\n'))) {
        *newline = 0;
        fixed = curl_slist_append(fixed, header);
        memmove(header, newline + 1, strlen(newline + 1) + 1);
    }
    struct job jobs[16];
    pthread_t ids[16];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) {
        /* The first threads take the remainders, so the counts add up to N and P. */
        jobs[i] = (struct job){argv[1], fixed, header, tokens, total / threads + (i < total % threads),
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
    curl_slist_free_all(fixed);
    free(header);
    if (tokens) {
        for (int i = 0; i < total; i++) free(tokens[i]);
        free(tokens);
    }
    return failed == 0 ? 0 : 1;
}
