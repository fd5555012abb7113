// A small closed-loop HTTP/1.1 load generator for the side-by-side benchmarks.
//
// Each of C threads holds one keep-alive connection to 127.0.0.1:PORT and sends requests
// back to back, cycling through the request targets in a file (one per line), until the
// duration or the request budget runs out. It understands HEAD (no body follows whatever
// Content-Length says, which wrk does not), sends PUT bodies of a fixed size, reads bodies
// by Content-Length or chunked encoding, and counts non-2xx answers as errors.
//
//   loadgen -p PORT -m METHOD -f TARGETS [-c 8] [-d 10] [-n 1000000] [-b BODY_BYTES] [-H 'Name: value']
//
// Prints one line of JSON: requests, errors, seconds, ops_per_s, bytes_in, p50_ms, p99_ms.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LATENCIES 2000000
#define HEADER_LIMIT 65536

static int port, concurrency = 8, seconds = 10, body_bytes = 0;
static long max_requests = 1000000;
static const char *method = "GET";
static const char *extra_header = NULL;  // one more header line, e.g. a bearer token
static char **targets;
static long target_count;
static char *body;
static double deadline;

typedef struct {
    int id;
    long requests, errors;
    long long bytes_in;
    long budget;
    float *latencies;
    long latency_count;
} worker_t;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_loopback(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static int send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

// A receive buffer: bytes [start, end) are read but not yet consumed.
typedef struct {
    char *data;
    size_t start, end, capacity;
} rbuf_t;

static int fill(int fd, rbuf_t *b) {
    if (b->start > 0 && b->start == b->end) b->start = b->end = 0;
    if (b->end == b->capacity) {
        if (b->start == 0) return -1;  // a header section larger than the buffer
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    ssize_t n;
    do n = recv(fd, b->data + b->end, b->capacity - b->end, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    b->end += (size_t)n;
    return 0;
}

// Consumes exactly `length` body bytes; returns -1 if the connection ends first.
static int skip(int fd, rbuf_t *b, long long length, long long *counted) {
    while (length > 0) {
        if (b->start == b->end && fill(fd, b) != 0) return -1;
        size_t take = b->end - b->start;
        if ((long long)take > length) take = (size_t)length;
        b->start += take;
        length -= (long long)take;
        *counted += (long long)take;
    }
    return 0;
}

// Reads one line (ending in CRLF) into `line`; returns its length or -1.
static long read_line(int fd, rbuf_t *b, char *line, size_t capacity) {
    for (;;) {
        char *lf = memchr(b->data + b->start, '\n', b->end - b->start);
        if (lf) {
            size_t n = (size_t)(lf - (b->data + b->start)) + 1;
            if (n >= capacity) return -1;
            memcpy(line, b->data + b->start, n);
            line[n] = 0;
            b->start += n;
            return (long)n;
        }
        if (fill(fd, b) != 0) return -1;
    }
}

// Reads one response; returns its status code or -1 on a broken connection.
static int read_response(int fd, rbuf_t *b, int is_head, long long *bytes_in) {
    char line[8192];
    if (read_line(fd, b, line, sizeof line) < 0) return -1;
    int status = 0;
    if (sscanf(line, "HTTP/1.%*d %d", &status) != 1) return -1;
    long long length = -1;
    int chunked = 0, closing = 0;
    for (;;) {
        long n = read_line(fd, b, line, sizeof line);
        if (n < 0) return -1;
        if (n <= 2) break;
        if (strncasecmp(line, "content-length:", 15) == 0) length = atoll(line + 15);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strcasestr(line, "chunked")) chunked = 1;
        else if (strncasecmp(line, "connection:", 11) == 0 && strcasestr(line, "close")) closing = 1;
    }
    if (!is_head && status != 204 && status != 304) {
        if (chunked) {
            for (;;) {
                if (read_line(fd, b, line, sizeof line) < 0) return -1;
                long long size = strtoll(line, NULL, 16);
                if (size == 0) {
                    if (read_line(fd, b, line, sizeof line) < 0) return -1;  // the final CRLF (no trailers expected)
                    break;
                }
                if (skip(fd, b, size, bytes_in) != 0) return -1;
                if (read_line(fd, b, line, sizeof line) < 0) return -1;
            }
        } else if (length > 0) {
            if (skip(fd, b, length, bytes_in) != 0) return -1;
        }
    }
    return closing ? -status : status;
}

static void *run(void *arg) {
    worker_t *w = arg;
    rbuf_t b = {.data = malloc(HEADER_LIMIT), .capacity = HEADER_LIMIT};
    char *head = malloc(HEADER_LIMIT);
    int is_head = strcmp(method, "HEAD") == 0;
    int sends_body = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
    long next = (target_count / concurrency) * w->id;
    int fd = -1;
    while (w->requests + w->errors < w->budget && now_seconds() < deadline) {
        if (fd < 0 && (fd = connect_loopback()) < 0) {
            w->errors++;
            usleep(1000);
            continue;
        }
        const char *target = targets[next++ % target_count];
        const char *extra = extra_header ? extra_header : "", *extra_end = extra_header ? "\r\n" : "";
        int n = sends_body ? snprintf(head, HEADER_LIMIT, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%sContent-Length: %d\r\n\r\n",
                                      method, target, port, extra, extra_end, body_bytes)
                           : snprintf(head, HEADER_LIMIT, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s\r\n", method, target, port, extra,
                                      extra_end);
        if (n < 0 || n >= HEADER_LIMIT) {
            w->errors++;
            continue;
        }
        double started = now_seconds();
        int status = -1;
        if (send_all(fd, head, (size_t)n) == 0 && (body_bytes == 0 || send_all(fd, body, (size_t)body_bytes) == 0))
            status = read_response(fd, &b, is_head, &w->bytes_in);
        double elapsed = now_seconds() - started;
        if (status < 0 && status != -1) {  // answered, then the server closed the connection
            status = -status;
            close(fd);
            fd = -1;
        }
        if (status == -1) {
            w->errors++;
            close(fd);
            fd = -1;
            continue;
        }
        if (status >= 200 && status < 300) {
            w->requests++;
            if (w->latency_count < MAX_LATENCIES / concurrency) w->latencies[w->latency_count++] = (float)elapsed;
        } else {
            w->errors++;
            if (w->errors <= 3) fprintf(stderr, "loadgen: %s %s -> HTTP %d\n", method, target, status);
        }
    }
    if (fd >= 0) close(fd);
    free(b.data);
    free(head);
    return NULL;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void load_targets(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t capacity = 1024;
    targets = malloc(capacity * sizeof *targets);
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t n;
    while ((n = getline(&line, &line_capacity, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        if ((size_t)target_count == capacity) targets = realloc(targets, (capacity *= 2) * sizeof *targets);
        targets[target_count++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (target_count == 0) {
        fprintf(stderr, "loadgen: no targets in %s\n", path);
        exit(2);
    }
}

int main(int argc, char **argv) {
    const char *file = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "p:m:f:c:d:n:b:H:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'm': method = optarg; break;
        case 'f': file = optarg; break;
        case 'c': concurrency = atoi(optarg); break;
        case 'd': seconds = atoi(optarg); break;
        case 'n': max_requests = atol(optarg); break;
        case 'b': body_bytes = atoi(optarg); break;
        case 'H': extra_header = optarg; break;
        default:
            fprintf(stderr, "usage: loadgen -p PORT -m METHOD -f TARGETS [-c N] [-d SECONDS] [-n REQUESTS] [-b BODY_BYTES] [-H HEADER]\n");
            return 2;
        }
    }
    if (!port || !file || concurrency < 1 || concurrency > 256 || seconds < 1 || seconds > 600) {
        fprintf(stderr, "loadgen: -p and -f are required; 1 <= -c <= 256; 1 <= -d <= 600\n");
        return 2;
    }
    load_targets(file);
    if (body_bytes > 0) {
        body = malloc((size_t)body_bytes);
        for (int i = 0; i < body_bytes; i++) body[i] = (char)(rand() & 0xff);
    }
    worker_t *workers = calloc((size_t)concurrency, sizeof *workers);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    double started = now_seconds();
    deadline = started + seconds;
    for (int i = 0; i < concurrency; i++) {
        workers[i].id = i;
        workers[i].budget = max_requests / concurrency + (i < max_requests % concurrency);
        workers[i].latencies = malloc(sizeof(float) * (MAX_LATENCIES / concurrency));
        pthread_create(&threads[i], NULL, run, &workers[i]);
    }
    long requests = 0, errors = 0, latency_count = 0;
    long long bytes_in = 0;
    for (int i = 0; i < concurrency; i++) {
        pthread_join(threads[i], NULL);
        requests += workers[i].requests;
        errors += workers[i].errors;
        bytes_in += workers[i].bytes_in;
        latency_count += workers[i].latency_count;
    }
    double elapsed = now_seconds() - started;
    float *all = malloc(sizeof(float) * (size_t)(latency_count > 0 ? latency_count : 1));
    long k = 0;
    for (int i = 0; i < concurrency; i++)
        for (long j = 0; j < workers[i].latency_count; j++) all[k++] = workers[i].latencies[j];
    qsort(all, (size_t)latency_count, sizeof(float), compare_floats);
    double p50 = latency_count ? all[latency_count / 2] * 1000 : 0;
    double p99 = latency_count ? all[(long)(latency_count * 0.99)] * 1000 : 0;
    printf("{\"requests\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"ops_per_s\": %.1f, \"bytes_in\": %lld, \"p50_ms\": %.3f, "
           "\"p99_ms\": %.3f}\n",
           requests, errors, elapsed, requests / elapsed, bytes_in, p50, p99);
    return 0;
}
