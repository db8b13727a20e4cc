/*
 * tools/macext/cli_password.c: where a password comes from. Never the command line
 * (STYLE.md §9.3): --password-file, $MACEXT_PASSWORD, or a prompt on /dev/tty with echo
 * turned off and restored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "util/file.h"

#define PASSWORD_FILE_MAX 4096

static void chomp(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
}

static int from_tty(const char *prompt, char **ret)
{
	struct termios old, quiet;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *tty = fopen("/dev/tty", "r+");

	if (!tty)
		return -ENXIO;
	if (tcgetattr(fileno(tty), &old) < 0) {
		fclose(tty);
		return -ENXIO;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	n = getline(&line, &cap, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (n < 0) {
		free(line);
		return -EIO;
	}
	chomp(line);
	*ret = line;
	return 0;
}

int cli_read_password(struct cli *cli, const char *prompt, char **ret)
{
	struct macext_diag diag = {0};
	const char *env = getenv("MACEXT_PASSWORD");
	char *buf = NULL;
	int r;

	if (cli->password_file) {
		r = mx_read_file(cli->password_file, PASSWORD_FILE_MAX, &buf, NULL, &diag);
		if (r < 0)
			return cli_fail(cli, r, &diag, "%s", cli->password_file);
		chomp(buf);
		*ret = buf;
		return 0;
	}
	if (env) {
		*ret = strdup(env);
		return *ret ? 0 : cli_fail(cli, -ENOMEM, NULL, "password");
	}
	r = from_tty(prompt, ret);
	if (r == -ENXIO) {
		fprintf(stderr, "macext: password: none given (set $MACEXT_PASSWORD, use "
				"--password-file FILE or run on a terminal)\n");
		return EXIT_USAGE;
	}
	if (r < 0)
		return cli_fail(cli, r, NULL, "password");
	return 0;
}
