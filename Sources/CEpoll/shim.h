// Linux-only declarations Swift's Glibc module does not export: epoll, eventfd and accept4.
// Used by HTTPServer's event loop (Sources/HTTPServer/*+Glibc.swift).
#ifndef CEPOLL_SHIM_H
#define CEPOLL_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: one syscall per accepted connection.
static inline int cepoll_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
#endif
