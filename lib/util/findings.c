/* lib/util/findings.c: the list of audit and validation findings. */
#include "macext/finding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static const char *const severity_names[] = {
	[MACEXT_SEVERITY_ERROR] = "error",
	[MACEXT_SEVERITY_WARNING] = "warning",
	[MACEXT_SEVERITY_NOTE] = "note",
};

const char *macext_severity_name(enum macext_severity s)
{
	return (unsigned)s < sizeof(severity_names) / sizeof(severity_names[0]) ? severity_names[s]
										   : "unknown";
}

static void finding_free(struct macext_finding *f)
{
	mx_free(f->rule);
	mx_free(f->message);
	mx_free(f->path);
	mx_free(f->location);
	mx_free(f->macos);
	mx_free(f->arch);
}

int macext_findings_add(struct macext_findings *f, enum macext_severity sev, const char *rule,
			const char *path, const char *location, const char *macos, const char *arch,
			const char *fmt, ...)
{
	struct macext_finding n = {0};
	va_list ap;
	int r;

	r = mx_grow((void **)&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	if (r < 0)
		return r;
	n.severity = sev;
	n.rule = mx_strdup(rule);
	n.path = mx_strdup(path ? path : "");
	n.location = location ? mx_strdup(location) : NULL;
	n.macos = macos ? mx_strdup(macos) : NULL;
	n.arch = arch ? mx_strdup(arch) : NULL;
	va_start(ap, fmt);
	{
		char buf[1024];

		vsnprintf(buf, sizeof(buf), fmt, ap);
		n.message = mx_strdup(buf);
	}
	va_end(ap);
	if (!n.rule || !n.path || !n.message || (location && !n.location) ||
	    (macos && !n.macos) || (arch && !n.arch)) {
		finding_free(&n);
		return -ENOMEM;
	}
	f->v[f->n++] = n;
	return 0;
}

size_t macext_findings_count(const struct macext_findings *f, enum macext_severity sev)
{
	size_t c = 0;

	for (size_t i = 0; i < f->n; i++)
		c += f->v[i].severity == sev;
	return c;
}

static int cmp_opt(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct macext_finding *a = pa, *b = pb;
	int c;

	if ((c = cmp_opt(a->path, b->path)) || (c = cmp_opt(a->macos, b->macos)) ||
	    (c = cmp_opt(a->arch, b->arch)) || (c = cmp_opt(a->rule, b->rule)) ||
	    (c = cmp_opt(a->location, b->location)) || (c = cmp_opt(a->message, b->message)))
		return c;
	return (int)a->severity - (int)b->severity;
}

void macext_findings_sort(struct macext_findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_finding);
}

void macext_findings_clear(struct macext_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		finding_free(&f->v[i]);
	mx_free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}
