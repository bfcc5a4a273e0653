/*
 * gl-bufmap: a GLES program that maps buffer storage the way streaming
 * applications do.  On virgl (Mesa's Gallium driver over virtio-gpu) a
 * persistent, coherent buffer (EXT_buffer_storage) is a blob in the
 * device's hostmem BAR: the program writes one from the CPU, has the GPU
 * copy it into another (glCopyBufferSubData), and checks every word
 * through the second one's mapping.  No window system: EGL surfaceless
 * on the render node.
 *
 *   gl-bufmap [ROUNDS [MAX_KIB]]
 *
 * Prints one line: GL-RESULT ok=0|1 renderer="..." buffers=N ... error=...
 *
 * Copyright (c) 2026 The virtio-gpu-xenlend authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#define STORAGE_FLAGS (GL_MAP_READ_BIT | GL_MAP_WRITE_BIT | \
                       GL_MAP_PERSISTENT_BIT_EXT | GL_MAP_COHERENT_BIT_EXT)

static const char *error = "none";
static PFNGLBUFFERSTORAGEEXTPROC buffer_storage;

static int gl_open(char *renderer, size_t len)
{
    static const EGLint ctx_attrs[] = {
        EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 0, EGL_NONE
    };
    EGLDisplay dpy;
    EGLContext ctx;
    const char *ext;

    dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA,
                                EGL_DEFAULT_DISPLAY, NULL);
    if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, NULL, NULL)) {
        error = "egl-initialize";
        return -1;
    }
    eglBindAPI(EGL_OPENGL_ES_API);
    ctx = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, ctx_attrs);
    if (ctx == EGL_NO_CONTEXT ||
        !eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
        error = "egl-context";
        return -1;
    }
    snprintf(renderer, len, "%s", (const char *)glGetString(GL_RENDERER));
    ext = (const char *)glGetString(GL_EXTENSIONS);
    if (!ext || !strstr(ext, "GL_EXT_buffer_storage")) {
        error = "no-EXT_buffer_storage";
        return -1;
    }
    buffer_storage = (PFNGLBUFFERSTORAGEEXTPROC)
        eglGetProcAddress("glBufferStorageEXT");
    return buffer_storage ? 0 : (error = "no-glBufferStorageEXT", -1);
}

static uint32_t *storage_new(GLenum target, GLuint *buf, GLsizeiptr size)
{
    uint32_t *map;

    glGenBuffers(1, buf);
    glBindBuffer(target, *buf);
    buffer_storage(target, size, NULL, STORAGE_FLAGS);
    map = glMapBufferRange(target, 0, size, STORAGE_FLAGS);
    if (!map || glGetError() != GL_NO_ERROR) {
        error = "map-buffer-storage";
        return NULL;
    }
    return map;
}

static uint32_t pattern(uint32_t seed, size_t i)
{
    uint32_t x = seed ^ (uint32_t)(i * 2654435761u);

    return x ^ (x >> 15);
}

/* One round: returns words found wrong, or -1 on error */
static long check_round(GLsizeiptr size, uint32_t seed)
{
    GLuint src, dst;
    uint32_t *s, *d;
    size_t words = size / 4, i;
    long bad = 0;

    s = storage_new(GL_COPY_READ_BUFFER, &src, size);
    d = s ? storage_new(GL_COPY_WRITE_BUFFER, &dst, size) : NULL;
    if (!d) {
        return -1;
    }
    for (i = 0; i < words; i++) {
        s[i] = pattern(seed, i);
        d[i] = 0;
    }
    glCopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER, 0, 0,
                        size);
    glFinish();
    for (i = 0; i < words; i++) {
        bad += d[i] != pattern(seed, i);
    }
    glUnmapBuffer(GL_COPY_READ_BUFFER);
    glUnmapBuffer(GL_COPY_WRITE_BUFFER);
    glDeleteBuffers(1, &src);
    glDeleteBuffers(1, &dst);
    glFinish();
    if (glGetError() != GL_NO_ERROR) {
        error = "gl-error";
        return -1;
    }
    return bad;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    GLsizeiptr max_size = (GLsizeiptr)(argc > 2 ? atoll(argv[2]) : 4096) << 10;
    char renderer[256] = "";
    unsigned long long bytes = 0;
    int buffers = 0, ok = 0;
    long bad = 0, r;

    if (gl_open(renderer, sizeof(renderer))) {
        goto out;
    }
    for (int round = 0; round < rounds; round++) {
        for (GLsizeiptr size = 4096; size <= max_size; size *= 4) {
            r = check_round(size, round * 7919 + (uint32_t)size);
            if (r < 0) {
                goto out;
            }
            bad += r;
            buffers += 2;
            bytes += 2 * size;
        }
    }
    ok = bad == 0;
    if (bad) {
        error = "data-mismatch";
    }
out:
    printf("GL-RESULT ok=%d renderer=\"%s\" buffers=%d bytes=%llu "
           "bad_words=%ld error=%s\n", ok, renderer, buffers, bytes, bad,
           error);
    return ok ? 0 : 1;
}
