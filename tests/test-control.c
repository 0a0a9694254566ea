/* The control socket against hostile and careless clients: garbage,
 * over-long lines, many clients at once, a client that never reads. */
#include "guide/control.h"
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned handled;

static void
handler(void *data, struct control_client *client, int argc, char **argv)
{
	char buf[256];
	handled++;
	if (strcmp(argv[0], "big") == 0) {
		/* a 64 KiB reply, to fill the queue of a client that never reads */
		static char big[65536 + 32];
		memset(big, 'x', sizeof(big));
		memcpy(big, "{\"ok\":true,\"pad\":\"", 18);
		strcpy(big + sizeof(big) - 4, "\"}");
		control_reply(client, big);
		return;
	}
	snprintf(buf, sizeof(buf), "{\"ok\":true,\"cmd\":\"%s\",\"argc\":%d}", argv[0], argc);
	control_reply(client, buf);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static void
pump(struct control_server *srv, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		struct pollfd p = {.fd = control_server_get_fd(srv), .events = POLLIN};
		poll(&p, 1, 5);
		control_server_dispatch(srv);
	}
}

/* reads whatever is there (non-blocking), appends to buf */
static size_t
drain(int fd, char *buf, size_t cap, size_t len)
{
	for (;;) {
		if (len + 1 >= cap)
			break;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

int
main(void)
{
	char dir[] = "/tmp/guide-control-XXXXXX";
	char path[128];
	struct control_server *srv;

	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/control", dir);
	struct control_server_options o = {
		.path = path,
		.mode = 0660,
		.handler = handler,
		.same_user_only = true,
	};
	CHECK_INT(control_server_create(&o, &srv), 0);
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0660);

	/* a second daemon on the same socket is refused, the first keeps it */
	struct control_server *dup = NULL;
	CHECK_INT(control_server_create(&o, &dup), -EADDRINUSE);

	/* a plain command, split on blanks */
	int a = connect_to(path);
	CHECK(a >= 0);
	const char cmd[] = "start loop --lang zh,en\n";
	CHECK_INT(send(a, cmd, sizeof(cmd) - 1, 0), (long)sizeof(cmd) - 1);
	pump(srv, 4);
	char buf[200000];
	drain(a, buf, sizeof(buf), 0);
	CHECK_STR(buf, "{\"ok\":true,\"cmd\":\"start\",\"argc\":4}\n");

	/* garbage: binary bytes, a NUL, blank lines, CRLF */
	const char junk[] = "\x01\x02\xff\xfe\n\n\r\nst\0atus\nstatus\r\n";
	send(a, junk, sizeof(junk) - 1, 0);
	pump(srv, 4);
	drain(a, buf, sizeof(buf), 0);
	CHECK(strstr(buf, "NUL byte") != NULL);
	CHECK(strstr(buf, "\"cmd\":\"status\",\"argc\":1") != NULL);

	/* an over-long line is refused, the line after it still works */
	char *longline = malloc(10000);
	memset(longline, 'A', 9998);
	longline[9998] = '\n';
	send(a, longline, 9999, 0);
	send(a, "pause\n", 6, 0);
	pump(srv, 6);
	drain(a, buf, sizeof(buf), 0);
	CHECK(strstr(buf, "line too long") != NULL);
	CHECK(strstr(buf, "\"cmd\":\"pause\"") != NULL);
	free(longline);

	/* 100 clients at once, each answered */
	int fds[100];
	for (int i = 0; i < 100; i++) {
		fds[i] = connect_to(path);
		CHECK(fds[i] >= 0);
		if (i % 20 == 19)
			pump(srv, 2);
	}
	pump(srv, 3);
	for (int i = 0; i < 100; i++)
		send(fds[i], "status\n", 7, 0);
	pump(srv, 10);
	int answered = 0;
	for (int i = 0; i < 100; i++) {
		size_t l = drain(fds[i], buf, sizeof(buf), 0);
		if (l > 0 && strstr(buf, "\"cmd\":\"status\""))
			answered++;
	}
	CHECK_INT(answered, 100);
	CHECK_INT(control_server_client_count(srv), 101);
	for (int i = 0; i < 100; i++)
		close(fds[i]);
	pump(srv, 4);
	CHECK_INT(control_server_client_count(srv), 1);

	/* a client that asks for a lot and never reads is dropped, the loop
	 * never blocks, and others are still served */
	int lazy = connect_to(path);
	int rcvbuf = 4096;
	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	pump(srv, 2);
	for (int i = 0; i < 40; i++) {
		send(lazy, "big\n", 4, MSG_DONTWAIT);
		pump(srv, 1);
	}
	pump(srv, 4);
	CHECK_INT(control_server_client_count(srv), 1);
	send(a, "resume\n", 7, 0);
	pump(srv, 4);
	drain(a, buf, sizeof(buf), 0);
	CHECK(strstr(buf, "\"cmd\":\"resume\"") != NULL);
	close(lazy);

	/* the client helper used by guidectl */
	char *reply = NULL;
	/* control_request blocks for its reply, so serve it from a child */
	pid_t pid = fork();
	if (pid == 0) {
		pump(srv, 200);
		_exit(0);
	}
	CHECK_INT(control_request(path, "volume 80", 5000, &reply), 0);
	CHECK_STR(reply, "{\"ok\":true,\"cmd\":\"volume\",\"argc\":2}");
	free(reply);
	int status;
	waitpid(pid, &status, 0);

	close(a);
	control_server_destroy(srv);
	CHECK(access(path, F_OK) != 0); /* socket removed */
	CHECK_INT(control_request(path, "status", 100, &reply), -ENOENT);
	control_server_destroy(NULL);
	rmdir(dir);
	TEST_EXIT();
}
