/*
 * feeder: the "firmware" of the USB webcam in scripts/uvc-vm-test.sh's guest.
 *
 * A UVC gadget (usb_f_uvc, set up by gadget.sh) is a V4L2 *output* node, driver g_uvc, on
 * the device side of dummy_hcd. The host side's uvcvideo talks to it over USB; the
 * requests it sends arrive here as V4L2 events, and this program answers them:
 *   - VideoStreaming PROBE/COMMIT (format, size, frame interval), clamped to what the
 *     gadget's configfs descriptors offer;
 *   - VideoControl: brightness (processing unit, 0..255, default 128), auto-exposure mode
 *     (camera terminal, manual or auto), the request error code; anything else stalls;
 *   - STREAMON: queue the JPEG files of the committed size, in name order and in a loop,
 *     one per committed interval, as a camera delivers frames.
 * Every SET_CUR of a control and every stream start and stop is reported on stderr as
 * one line starting "FEEDER", for the test to read ("FEEDER control brightness=200").
 * When the node goes away (gadget unbound) it closes it, as the unbind waits for that,
 * and serves the next one. Killing this program unplugs the camera: without a process
 * subscribed to its events, the gadget disconnects from the bus.
 *
 * usage: feeder [-d /dev/videoN] [-f FRAMES_DIR]     frames in FRAMES_DIR/WxH/ (default /opt/frames)
 * build: gcc -O2 -Wall -static -o feeder feeder.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/usb/ch9.h>
#include <linux/usb/g_uvc.h>
#include <linux/usb/video.h>
#include <linux/videodev2.h>

#define MAX_SIZES 8
#define MAX_RATES 8
#define MAX_FILES 64
#define BUFFERS 4
/* f_uvc's fixed topology: camera terminal 1, processing unit 2 */
#define CAMERA_TERMINAL 1
#define PROCESSING_UNIT 2

struct size {
	unsigned index, w, h, nrates;
	uint32_t rates[MAX_RATES];      /* frame intervals, 100 ns units, fastest first */
	uint32_t max_bytes;
	unsigned nfiles;
	unsigned char *file[MAX_FILES];
	size_t len[MAX_FILES];
};

static const char *node_arg, *frames_dir = "/opt/frames";
static int fd = -1, format_index, max_payload = 1024;
static unsigned vc_intf, vs_intf = 1;
static struct size sizes[MAX_SIZES];
static unsigned nsizes;
static struct uvc_streaming_control probe, commit;
static int pending;                     /* what the next DATA event sets */
static uint8_t error_code, ae_mode = 2; /* auto */
static int brightness = 128;
static void *mem[BUFFERS];
static size_t mem_len[BUFFERS];
static int queued[BUFFERS], nbufs, streaming;
static struct size *cur;
static uint64_t interval_ns, due_ns, started_ns, frames;
static volatile sig_atomic_t quit;

enum { SET_NONE, SET_PROBE, SET_COMMIT, SET_BRIGHTNESS, SET_AE_MODE };

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static int xioctl(unsigned long request, void *arg)
{
	int r;
	do r = ioctl(fd, request, arg); while (r < 0 && errno == EINTR);
	return r;
}

static unsigned read_number(const char *dir, const char *name, unsigned fallback)
{
	char path[512];
	unsigned v;
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "r"))) return fallback;
	if (fscanf(f, "%u", &v) != 1) v = fallback;
	fclose(f);
	return v;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_files(struct size *s)
{
	char pattern[512];
	glob_t g;
	snprintf(pattern, sizeof pattern, "%s/%ux%u/*.jpg", frames_dir, s->w, s->h);
	if (glob(pattern, 0, NULL, &g)) { fprintf(stderr, "feeder: no %s\n", pattern); return; }
	qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, by_name);
	for (size_t i = 0; i < g.gl_pathc && s->nfiles < MAX_FILES; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		struct stat st;
		if (!f || fstat(fileno(f), &st)) { if (f) fclose(f); continue; }
		s->file[s->nfiles] = malloc(st.st_size);
		s->len[s->nfiles] = fread(s->file[s->nfiles], 1, st.st_size, f);
		fclose(f);
		s->nfiles++;
	}
	globfree(&g);
}

/* What the gadget offers, read back through its node (g_uvc enumerates configfs). */
static int read_offer(void)
{
	struct v4l2_fmtdesc fmt = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	for (format_index = 0; xioctl(VIDIOC_ENUM_FMT, &fmt) == 0; fmt.index++)
		if (fmt.pixelformat == V4L2_PIX_FMT_MJPEG) { format_index = fmt.index + 1; break; }
	if (!format_index) return -1;
	for (nsizes = 0; nsizes < MAX_SIZES; nsizes++) {
		struct v4l2_frmsizeenum fs = { .index = nsizes, .pixel_format = V4L2_PIX_FMT_MJPEG };
		struct size *s = &sizes[nsizes];
		if (xioctl(VIDIOC_ENUM_FRAMESIZES, &fs) < 0) break;
		if (s->nfiles == 0 || s->w != fs.discrete.width || s->h != fs.discrete.height) {
			memset(s, 0, sizeof *s);
			s->w = fs.discrete.width;
			s->h = fs.discrete.height;
			load_files(s);
		}
		s->index = nsizes + 1;
		s->max_bytes = s->w * s->h * 2;  /* gadget.sh's dwMaxVideoFrameBufferSize */
		for (s->nrates = 0; s->nrates < MAX_RATES; s->nrates++) {
			struct v4l2_frmivalenum fi = { .index = s->nrates, .pixel_format = V4L2_PIX_FMT_MJPEG,
				.width = s->w, .height = s->h };
			if (xioctl(VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0) break;
			s->rates[s->nrates] = (uint64_t)fi.discrete.numerator * 10000000u / fi.discrete.denominator;
		}
		if (!s->nrates) s->rates[s->nrates++] = 333333;
	}
	return nsizes ? 0 : -1;
}

static void describe(struct uvc_streaming_control *c, const struct size *s, uint32_t interval)
{
	memset(c, 0, sizeof *c);
	c->bmHint = 1;
	c->bFormatIndex = format_index;
	c->bFrameIndex = s->index;
	c->dwFrameInterval = interval;
	c->dwMaxVideoFrameSize = s->max_bytes;
	c->dwMaxPayloadTransferSize = max_payload;
	c->dwClockFrequency = 48000000;
	c->bmFramingInfo = 3;
	c->bPreferedVersion = c->bMinVersion = c->bMaxVersion = 1;
}

/* The host's proposal, clamped: its size if offered (else the nearest index), and the
 * offered interval nearest to the one asked. */
static void clamp_to_offer(struct uvc_streaming_control *out, const struct uvc_streaming_control *asked)
{
	unsigned i = asked->bFrameIndex ? asked->bFrameIndex - 1 : 0;
	const struct size *s = &sizes[i < nsizes ? i : nsizes - 1];
	uint32_t best = s->rates[0];
	for (unsigned r = 0; r < s->nrates; r++) {
		uint32_t d = s->rates[r] > asked->dwFrameInterval ? s->rates[r] - asked->dwFrameInterval
								: asked->dwFrameInterval - s->rates[r];
		uint32_t b = best > asked->dwFrameInterval ? best - asked->dwFrameInterval
							   : asked->dwFrameInterval - best;
		if (d < b) best = s->rates[r];
	}
	describe(out, s, best);
}

static void put16(struct uvc_request_data *r, int v)
{
	r->data[0] = v & 0xff;
	r->data[1] = (v >> 8) & 0xff;
	r->length = 2;
}

/* Fills the answer to a class request; returns -1 to stall it. */
static int answer(const struct usb_ctrlrequest *req, struct uvc_request_data *r)
{
	unsigned intf = req->wIndex & 0xff, entity = req->wIndex >> 8, cs = req->wValue >> 8;
	uint8_t op = req->bRequest;

	if (op == UVC_SET_CUR) r->length = req->wLength;   /* the data stage follows */
	if (intf == vs_intf && (cs == UVC_VS_PROBE_CONTROL || cs == UVC_VS_COMMIT_CONTROL)) {
		struct uvc_streaming_control *c = (void *)r->data;
		if (op == UVC_SET_CUR) { pending = cs == UVC_VS_PROBE_CONTROL ? SET_PROBE : SET_COMMIT; return 0; }
		if (op == UVC_GET_LEN) { put16(r, sizeof *c); return 0; }
		if (op == UVC_GET_INFO) { r->data[0] = 3; r->length = 1; return 0; }
		if (op == UVC_GET_CUR) *c = cs == UVC_VS_PROBE_CONTROL ? probe : commit;
		else if (op == UVC_GET_MIN || op == UVC_GET_DEF) describe(c, &sizes[0], sizes[0].rates[0]);
		else if (op == UVC_GET_MAX) describe(c, &sizes[nsizes - 1], sizes[nsizes - 1].rates[sizes[nsizes - 1].nrates - 1]);
		else if (op == UVC_GET_RES) memset(c, 0, sizeof *c);
		else return -1;
		r->length = sizeof *c;
		return 0;
	}
	if (intf != vc_intf) return -1;
	if (entity == 0 && cs == UVC_VC_REQUEST_ERROR_CODE_CONTROL) {
		if (op != UVC_GET_CUR && op != UVC_GET_INFO) return -1;
		r->data[0] = op == UVC_GET_CUR ? error_code : 1;
		r->length = 1;
		return 1;                       /* reading it keeps the code */
	}
	if (entity == PROCESSING_UNIT && cs == UVC_PU_BRIGHTNESS_CONTROL) {
		switch (op) {
		case UVC_SET_CUR: pending = SET_BRIGHTNESS; return 0;
		case UVC_GET_CUR: put16(r, brightness); return 0;
		case UVC_GET_MIN: put16(r, 0); return 0;
		case UVC_GET_MAX: put16(r, 255); return 0;
		case UVC_GET_RES: put16(r, 1); return 0;
		case UVC_GET_DEF: put16(r, 128); return 0;
		case UVC_GET_LEN: put16(r, 2); return 0;
		case UVC_GET_INFO: r->data[0] = 3; r->length = 1; return 0;
		}
		return -1;
	}
	if (entity == CAMERA_TERMINAL && cs == UVC_CT_AE_MODE_CONTROL) {
		switch (op) {
		case UVC_SET_CUR: pending = SET_AE_MODE; return 0;
		case UVC_GET_LEN: put16(r, 1); return 0;
		case UVC_GET_CUR: r->data[0] = ae_mode; break;
		case UVC_GET_RES: r->data[0] = 3; break;   /* bitmap: manual, auto */
		case UVC_GET_DEF: r->data[0] = 2; break;
		case UVC_GET_INFO: r->data[0] = 3; break;
		default: return -1;
		}
		r->length = 1;
		return 0;
	}
	return -1;
}

static void on_setup(const struct usb_ctrlrequest *req)
{
	struct uvc_request_data r = { 0 };
	int result = -1;
	pending = SET_NONE;
	if ((req->bRequestType & USB_TYPE_MASK) == USB_TYPE_CLASS &&
	    (req->bRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE)
		result = answer(req, &r);
	if (result < 0) {
		r.length = -EL2HLT;             /* a negative length stalls ep0 */
		error_code = 6;                 /* "invalid control" */
	} else if (result == 0) {
		error_code = 0;
	}
	if (xioctl(UVCIOC_SEND_RESPONSE, &r) < 0) perror("feeder: UVCIOC_SEND_RESPONSE");
}

static void use_format(const struct uvc_streaming_control *c)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	unsigned i = c->bFrameIndex ? c->bFrameIndex - 1 : 0;
	cur = &sizes[i < nsizes ? i : 0];
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_MJPEG;
	f.fmt.pix.width = cur->w;
	f.fmt.pix.height = cur->h;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	f.fmt.pix.sizeimage = cur->max_bytes;   /* f_uvc sizes its USB requests from it */
	if (xioctl(VIDIOC_S_FMT, &f) < 0) perror("feeder: VIDIOC_S_FMT");
	interval_ns = (uint64_t)(c->dwFrameInterval ? c->dwFrameInterval : 333333) * 100;
}

static void on_data(const struct uvc_request_data *d)
{
	struct uvc_streaming_control asked = { 0 };
	int value;
	switch (pending) {
	case SET_PROBE:
	case SET_COMMIT:
		memcpy(&asked, d->data, d->length < (int)sizeof asked ? (size_t)d->length : sizeof asked);
		clamp_to_offer(pending == SET_PROBE ? &probe : &commit, &asked);
		if (pending == SET_COMMIT) use_format(&commit);
		break;
	case SET_BRIGHTNESS:
		value = (int16_t)(d->data[0] | d->data[1] << 8);
		brightness = value < 0 ? 0 : value > 255 ? 255 : value;
		fprintf(stderr, "FEEDER control brightness=%d\n", brightness);
		break;
	case SET_AE_MODE:
		if (d->data[0] == 1 || d->data[0] == 2) ae_mode = d->data[0];
		fprintf(stderr, "FEEDER control auto_exposure=%s\n", ae_mode == 1 ? "manual" : "auto");
		break;
	}
	pending = SET_NONE;
}

static void stream_off(const char *why)
{
	struct v4l2_requestbuffers none = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT, .memory = V4L2_MEMORY_MMAP };
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	if (!nbufs) return;
	if (streaming) {
		double s = (now_ns() - started_ns) / 1e9;
		fprintf(stderr, "FEEDER stream-off %s: %llu frames in %.2f s\n", why,
			(unsigned long long)frames, s);
	}
	xioctl(VIDIOC_STREAMOFF, &type);
	for (int i = 0; i < nbufs; i++) munmap(mem[i], mem_len[i]);
	xioctl(VIDIOC_REQBUFS, &none);
	nbufs = streaming = 0;
}

static int queue_next(int i)
{
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT, .memory = V4L2_MEMORY_MMAP, .index = i };
	unsigned n = frames % cur->nfiles;
	if (cur->len[n] > mem_len[i]) return -1;
	memcpy(mem[i], cur->file[n], cur->len[n]);
	b.bytesused = cur->len[n];
	if (xioctl(VIDIOC_QBUF, &b) < 0) return -1;   /* ENODEV: the host is leaving */
	queued[i] = 1;
	frames++;
	return 0;
}

static void stream_on(void)
{
	struct v4l2_requestbuffers rb = { .count = BUFFERS, .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP };
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	stream_off("restart");
	use_format(&commit);
	if (!cur->nfiles || xioctl(VIDIOC_REQBUFS, &rb) < 0) { perror("feeder: VIDIOC_REQBUFS"); return; }
	for (nbufs = 0; nbufs < (int)rb.count && nbufs < BUFFERS; nbufs++) {
		struct v4l2_buffer b = { .index = nbufs, .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP };
		if (xioctl(VIDIOC_QUERYBUF, &b) < 0) break;
		mem_len[nbufs] = b.length;
		mem[nbufs] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
		if (mem[nbufs] == MAP_FAILED) break;
		queued[nbufs] = 0;
	}
	frames = 0;
	/* One frame now, the next ones when their time comes: a camera has none ahead. */
	if (queue_next(0) < 0 || xioctl(VIDIOC_STREAMON, &type) < 0) {
		perror("feeder: stream on");
		streaming = 1;
		stream_off("failed");
		return;
	}
	streaming = 1;
	started_ns = now_ns();
	due_ns = started_ns + interval_ns;
	fprintf(stderr, "FEEDER stream-on %ux%u at %.2f fps, %u files\n", cur->w, cur->h,
		1e9 / interval_ns, cur->nfiles);
}

static void feed(void)
{
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT, .memory = V4L2_MEMORY_MMAP };
	while (xioctl(VIDIOC_DQBUF, &b) == 0)
		if (b.index < BUFFERS) queued[b.index] = 0;
	if (now_ns() < due_ns) return;
	for (int i = 0; i < nbufs; i++)
		if (!queued[i]) {
			if (queue_next(i) == 0) due_ns += interval_ns;
			break;
		}
	/* Late by more than a frame (all buffers still on the bus): no catching up. */
	if (due_ns + interval_ns < now_ns()) due_ns = now_ns();
}

static void on_events(void)
{
	struct v4l2_event ev;
	struct uvc_event *uvc = (void *)&ev.u.data;
	while (xioctl(VIDIOC_DQEVENT, &ev) == 0) {
		if (ev.type == UVC_EVENT_SETUP) on_setup(&uvc->req);
		else if (ev.type == UVC_EVENT_DATA) on_data(&uvc->data);
		else if (ev.type == UVC_EVENT_STREAMON) stream_on();
		else if (ev.type == UVC_EVENT_STREAMOFF) stream_off("host");
		else if (ev.type == UVC_EVENT_DISCONNECT) stream_off("disconnect");
	}
}

/* The gadget's node: the one given, else the first whose driver is g_uvc. */
static int open_node(void)
{
	glob_t g;
	if (node_arg) return open(node_arg, O_RDWR | O_NONBLOCK);
	if (glob("/dev/video*", 0, NULL, &g)) return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct v4l2_capability cap;
		fd = open(g.gl_pathv[i], O_RDWR | O_NONBLOCK);
		if (fd >= 0 && xioctl(VIDIOC_QUERYCAP, &cap) == 0 && !strcmp((char *)cap.driver, "g_uvc")) break;
		if (fd >= 0) close(fd);
		fd = -1;
	}
	globfree(&g);
	return fd;
}

static void serve(void)
{
	static const unsigned events[] = { UVC_EVENT_DATA, UVC_EVENT_STREAMON, UVC_EVENT_STREAMOFF,
		UVC_EVENT_DISCONNECT, UVC_EVENT_SETUP };  /* SETUP last: it connects the gadget */
	glob_t g;
	if (glob("/sys/kernel/config/usb_gadget/*/functions/uvc.*", 0, NULL, &g) == 0) {
		vc_intf = read_number(g.gl_pathv[0], "control/bInterfaceNumber", 0);
		vs_intf = read_number(g.gl_pathv[0], "streaming/bInterfaceNumber", 1);
		max_payload = read_number(g.gl_pathv[0], "streaming_maxpacket", 1024);
		globfree(&g);
	}
	if (read_offer() < 0) { fprintf(stderr, "feeder: the gadget offers no MJPEG\n"); return; }
	describe(&probe, &sizes[0], sizes[0].rates[0]);
	commit = probe;
	for (unsigned i = 0; i < sizeof events / sizeof *events; i++) {
		struct v4l2_event_subscription sub = { .type = events[i] };
		if (xioctl(VIDIOC_SUBSCRIBE_EVENT, &sub) < 0) { perror("feeder: subscribe"); return; }
	}
	fprintf(stderr, "FEEDER serving\n");
	while (!quit) {
		/* POLLOUT only while streaming: an idle output queue reports POLLERR. */
		struct pollfd p = { .fd = fd, .events = POLLPRI | (streaming ? POLLOUT : 0) };
		int wait = 100;
		if (streaming) {
			uint64_t t = now_ns();
			wait = due_ns > t ? (int)((due_ns - t) / 1000000) + 1 : 0;
		}
		if (poll(&p, 1, wait) < 0) continue;
		if (p.revents & POLLPRI) on_events();
		if (p.revents & (POLLERR | POLLHUP)) {
			struct v4l2_capability cap;
			if (xioctl(VIDIOC_QUERYCAP, &cap) < 0 && errno == ENODEV) break;
		}
		if (streaming) feed();
	}
	stream_off(quit ? "exit" : "node gone");
}

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "d:f:")) != -1) {
		if (opt == 'd') node_arg = optarg;
		else if (opt == 'f') frames_dir = optarg;
		else { fprintf(stderr, "usage: feeder [-d /dev/videoN] [-f FRAMES_DIR]\n"); return 2; }
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!quit) {
		if ((fd = open_node()) < 0) { usleep(100000); continue; }
		serve();
		close(fd);                      /* an unbind waits for this close */
		fd = -1;
		if (!quit) usleep(100000);
	}
	return 0;
}
