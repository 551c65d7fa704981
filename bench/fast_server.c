/* A tiny single-threaded epoll HTTP responder: the "fast local target" that bench/ab_vs_wrk.py
 * aims both apache bench and wrk at. It answers every request (GET, no body) with a fixed
 * 200 "ok\n", keeps HTTP/1.1 connections open, and HTTP/1.0 ones only when asked
 * (ab -k sends "Connection: Keep-Alive"). Not a web server: a load generator's yardstick.
 *
 * Build: cc -O2 -o fast_server fast_server.c    Run: ./fast_server PORT
 */
#define _GNU_SOURCE  /* memmem, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>

#define MAXEV 256
#define BUF 16384

static const char KEEP[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                           "Connection: keep-alive\r\n\r\nok\n";
static const char CLOSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                            "Connection: close\r\n\r\nok\n";

struct conn { int fd; int len; char buf[BUF]; };

static int keep_alive(const char *req, int len) {
    const char *line_end = memchr(req, '\n', len);
    int http10 = line_end && memmem(req, line_end - req, "HTTP/1.0", 8) != NULL;
    if (!http10) return memmem(req, len, "onnection: close", 16) == NULL;
    return memmem(req, len, "eep-Alive", 9) != NULL || memmem(req, len, "eep-alive", 9) != NULL;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("bind/listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[MAXEV];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("listening %d\n", port);
    fflush(stdout);
    for (;;) {
        int n = epoll_wait(ep, evs, MAXEV, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            int close_it = 0;
            for (;;) {
                ssize_t r = read(c->fd, c->buf + c->len, BUF - c->len);
                if (r == 0 || (r < 0 && errno != EAGAIN)) { close_it = 1; break; }
                if (r < 0) break;
                c->len += r;
                char *end;
                while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
                    int reqlen = end + 4 - c->buf, keep = keep_alive(c->buf, reqlen);
                    const char *resp = keep ? KEEP : CLOSE;
                    size_t rl = keep ? sizeof KEEP - 1 : sizeof CLOSE - 1;
                    if (write(c->fd, resp, rl) != (ssize_t)rl || !keep) { close_it = 1; break; }
                    memmove(c->buf, c->buf + reqlen, c->len - reqlen);
                    c->len -= reqlen;
                }
                if (close_it || c->len == BUF) { close_it = 1; break; }
            }
            if (close_it) { close(c->fd); free(c); }
        }
    }
}
