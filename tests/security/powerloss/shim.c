/*
 * Power-loss recorder: an LD_PRELOAD shim that logs every write, truncate,
 * sync, close and unlink on files under $POWERLOSS_DIR to $POWERLOSS_LOG.
 *
 * The test replays that log to build the file images a power cut could leave
 * behind. Only files under the watched directory are logged, and "-shm" files
 * are skipped: SQLite mmaps them and rebuilds the wal-index when it is absent,
 * which is what happens after a reboot anyway.
 *
 * Record layout (little-endian, packed):
 *   u8 op | u16 path_len | path bytes | i64 a | i64 b | b data bytes (writes only)
 * op 1 write  (a = offset, b = length, then the bytes written)
 * op 2 truncate (a = new length)
 * op 3 sync   (fsync or fdatasync)
 * op 4 close
 * op 5 unlink
 * op 6 open   (a = 1 if O_TRUNC was given)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_TRUNCATE = 2, OP_SYNC = 3, OP_CLOSE = 4, OP_UNLINK = 5, OP_OPEN = 6 };
#define MAX_FDS 4096

static char *fd_paths[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_close)(int);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);

#define RESOLVE(name)                                          \
    do {                                                       \
        if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name); \
    } while (0)

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = real_write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            abort(); /* a silently short log would make the test lie */
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Append one record. Unbuffered, so the order in the log is the order of the calls. */
static void log_op(uint8_t op, const char *path, int64_t a, int64_t b, const void *data) {
    RESOLVE(write);
    RESOLVE(open);
    if (log_fd < 0) {
        const char *log_path = getenv("POWERLOSS_LOG");
        if (!log_path) return;
        log_fd = real_open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0) abort();
    }
    uint16_t path_len = (uint16_t)strlen(path);
    size_t head_len = 1 + 2 + path_len + 8 + 8;
    char *head = malloc(head_len);
    if (!head) abort();
    char *p = head;
    *p++ = (char)op;
    memcpy(p, &path_len, 2);
    p += 2;
    memcpy(p, path, path_len);
    p += path_len;
    memcpy(p, &a, 8);
    p += 8;
    memcpy(p, &b, 8);
    write_all(log_fd, head, head_len);
    free(head);
    if (op == OP_WRITE && b > 0) write_all(log_fd, data, (size_t)b);
}

/* Absolute path if `path` (relative to `dirfd`) lies under $POWERLOSS_DIR, else NULL. */
static char *watched_path(int dirfd, const char *path) {
    const char *dir = getenv("POWERLOSS_DIR");
    if (!dir || !path) return NULL;
    char full[2 * PATH_MAX + 2];
    if (path[0] == '/') {
        snprintf(full, sizeof full, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return NULL;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0) return NULL;
            base[n] = '\0';
        }
        snprintf(full, sizeof full, "%s/%s", base, path);
    }
    size_t dir_len = strlen(dir);
    if (strncmp(full, dir, dir_len) != 0 || full[dir_len] != '/') return NULL;
    size_t full_len = strlen(full);
    if (full_len >= 4 && strcmp(full + full_len - 4, "-shm") == 0) return NULL;
    return strdup(full);
}

static void track_open(int fd, int dirfd, const char *path, int flags) {
    if (fd < 0 || fd >= MAX_FDS) return;
    char *full = watched_path(dirfd, path);
    pthread_mutex_lock(&lock);
    free(fd_paths[fd]);
    fd_paths[fd] = full;
    if (full) log_op(OP_OPEN, full, (flags & O_TRUNC) ? 1 : 0, 0, NULL);
    pthread_mutex_unlock(&lock);
}

static mode_t mode_arg(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    RESOLVE(open);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_open(path, flags, mode);
    track_open(fd, AT_FDCWD, path, flags);
    return fd;
}

int open64(const char *path, int flags, ...) {
    RESOLVE(open64);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_open64(path, flags, mode);
    track_open(fd, AT_FDCWD, path, flags);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
    RESOLVE(openat);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_openat(dirfd, path, flags, mode);
    track_open(fd, dirfd, path, flags);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
    RESOLVE(openat64);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int fd = real_openat64(dirfd, path, flags, mode);
    track_open(fd, dirfd, path, flags);
    return fd;
}

/* Log a completed write of `n` bytes at `offset` if `fd` is watched. */
static void after_write(int fd, const void *buf, ssize_t n, int64_t offset) {
    if (n <= 0 || fd < 0 || fd >= MAX_FDS) return;
    pthread_mutex_lock(&lock);
    if (fd_paths[fd]) log_op(OP_WRITE, fd_paths[fd], offset, n, buf);
    pthread_mutex_unlock(&lock);
}

static void simple_op(int fd, uint8_t op, int64_t a) {
    if (fd < 0 || fd >= MAX_FDS) return;
    pthread_mutex_lock(&lock);
    if (fd_paths[fd]) log_op(op, fd_paths[fd], a, 0, NULL);
    pthread_mutex_unlock(&lock);
}

ssize_t write(int fd, const void *buf, size_t count) {
    RESOLVE(write);
    int watched = fd >= 0 && fd < MAX_FDS && fd_paths[fd];
    /* The file position before the call is where the bytes land. */
    off_t offset = watched ? lseek(fd, 0, SEEK_CUR) : 0;
    ssize_t n = real_write(fd, buf, count);
    if (watched) after_write(fd, buf, n, offset);
    return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    RESOLVE(pwrite);
    ssize_t n = real_pwrite(fd, buf, count, offset);
    after_write(fd, buf, n, offset);
    return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
    RESOLVE(pwrite64);
    ssize_t n = real_pwrite64(fd, buf, count, offset);
    after_write(fd, buf, n, offset);
    return n;
}

int fsync(int fd) {
    RESOLVE(fsync);
    int rc = real_fsync(fd);
    if (rc == 0) simple_op(fd, OP_SYNC, 0);
    return rc;
}

int fdatasync(int fd) {
    RESOLVE(fdatasync);
    int rc = real_fdatasync(fd);
    if (rc == 0) simple_op(fd, OP_SYNC, 0);
    return rc;
}

int ftruncate(int fd, off_t length) {
    RESOLVE(ftruncate);
    int rc = real_ftruncate(fd, length);
    if (rc == 0) simple_op(fd, OP_TRUNCATE, length);
    return rc;
}

int ftruncate64(int fd, off64_t length) {
    RESOLVE(ftruncate64);
    int rc = real_ftruncate64(fd, length);
    if (rc == 0) simple_op(fd, OP_TRUNCATE, length);
    return rc;
}

int close(int fd) {
    RESOLVE(close);
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&lock);
        if (fd_paths[fd]) {
            log_op(OP_CLOSE, fd_paths[fd], 0, 0, NULL);
            free(fd_paths[fd]);
            fd_paths[fd] = NULL;
        }
        pthread_mutex_unlock(&lock);
    }
    return real_close(fd);
}

int unlink(const char *path) {
    RESOLVE(unlink);
    int rc = real_unlink(path);
    if (rc == 0) {
        char *full = watched_path(AT_FDCWD, path);
        if (full) {
            pthread_mutex_lock(&lock);
            log_op(OP_UNLINK, full, 0, 0, NULL);
            pthread_mutex_unlock(&lock);
            free(full);
        }
    }
    return rc;
}

int unlinkat(int dirfd, const char *path, int flags) {
    RESOLVE(unlinkat);
    int rc = real_unlinkat(dirfd, path, flags);
    if (rc == 0) {
        char *full = watched_path(dirfd, path);
        if (full) {
            pthread_mutex_lock(&lock);
            log_op(OP_UNLINK, full, 0, 0, NULL);
            pthread_mutex_unlock(&lock);
            free(full);
        }
    }
    return rc;
}
