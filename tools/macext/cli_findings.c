/*
 * tools/macext/cli_findings.c: findings as text, JSON or SARIF 2.1.0 (audit, profiles
 * validate).
 *
 * The findings arrive sorted (macext_findings_sort), so every format is deterministic.
 * SARIF layout (OASIS SARIF 2.1.0, one run):
 *   {"$schema", "version": "2.1.0", "runs": [{
 *     "tool": {"driver": {"name": "macext", "version", "rules": [{"id", "shortDescription"}]}},
 *     "results": [{"ruleId", "ruleIndex", "level", "message": {"text"},
 *                  "locations": [{"physicalLocation": {"artifactLocation": {"uri"}},
 *                                 "logicalLocations": [{"fullyQualifiedName", "kind"}]}],
 *                  "properties": {"macos", "arch"}}]}]}
 * Rules are listed once each, sorted by id, and a result points at its rule by index. A
 * path the user gave as relative stays relative (percent-encoded); an absolute one under the
 * working directory is made relative to it, any other becomes a file:// URI.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macext/finding.h"

static const char sarif_schema[] = "https://json.schemastore.org/sarif-2.1.0.json";

static json_t *finding_json(const struct macext_finding *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "rule", json_string(f->rule));
	json_object_set_new(o, "severity", json_string(macext_severity_name(f->severity)));
	json_object_set_new(o, "message", json_string(f->message));
	json_object_set_new(o, "path", json_string(f->path));
	json_object_set_new(o, "location", f->location ? json_string(f->location) : json_null());
	json_object_set_new(o, "macos", f->macos ? json_string(f->macos) : json_null());
	json_object_set_new(o, "arch", f->arch ? json_string(f->arch) : json_null());
	return o;
}

static json_t *summary_json(const struct macext_findings *f)
{
	return json_pack("{s:I, s:I, s:I}", "errors",
			 (json_int_t)macext_findings_count(f, MACEXT_SEVERITY_ERROR), "warnings",
			 (json_int_t)macext_findings_count(f, MACEXT_SEVERITY_WARNING), "notes",
			 (json_int_t)macext_findings_count(f, MACEXT_SEVERITY_NOTE));
}

static bool uri_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* PREFIX + PATH with every byte outside the unreserved set (and '/') as %XX (RFC 3986). */
static json_t *uri_json(const char *prefix, const char *path)
{
	size_t plen = strlen(prefix), n = strlen(path);
	char *buf = malloc(plen + 3 * n + 1);
	size_t k = plen;
	json_t *s;

	if (!buf)
		return NULL;
	memcpy(buf, prefix, plen);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (uri_unreserved(c)) {
			buf[k++] = (char)c;
			continue;
		}
		snprintf(buf + k, 4, "%%%02X", c);
		k += 3;
	}
	buf[k] = '\0';
	s = json_string(buf);
	free(buf);
	return s;
}

static json_t *artifact_uri(const char *path, const char *cwd)
{
	size_t cl = cwd ? strlen(cwd) : 0;

	if (path[0] != '/')
		return uri_json("", path);
	if (cl > 1 && strncmp(path, cwd, cl) == 0 && path[cl] == '/' && path[cl + 1])
		return uri_json("", path + cl + 1);
	return uri_json("file://", path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct rule ids of F, sorted; *RET_N of them. NULL only when F is not empty and
 * memory ran out. */
static const char **rule_ids(const struct macext_findings *f, size_t *ret_n)
{
	const char **ids = calloc(f->n ? f->n : 1, sizeof(*ids));
	size_t n = 0;

	if (!ids)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		ids[i] = f->v[i].rule;
	qsort(ids, f->n, sizeof(*ids), cmp_str);
	for (size_t i = 0; i < f->n; i++) {
		if (n == 0 || strcmp(ids[n - 1], ids[i]) != 0)
			ids[n++] = ids[i];
	}
	*ret_n = n;
	return ids;
}

static size_t rule_index(const char **ids, size_t n, const char *id)
{
	const char **hit = bsearch(&id, ids, n, sizeof(*ids), cmp_str);

	return hit ? (size_t)(hit - ids) : 0;
}

static const char *sarif_level(enum macext_severity s)
{
	return s == MACEXT_SEVERITY_ERROR ? "error" : s == MACEXT_SEVERITY_WARNING ? "warning"
										    : "note";
}

static json_t *sarif_result(const struct macext_finding *f, size_t index, const char *cwd)
{
	json_t *loc = json_object(), *props = json_object(), *res;
	json_t *phys = json_pack("{s:{s:o*}}", "artifactLocation", "uri", artifact_uri(f->path, cwd));

	json_object_set_new(loc, "physicalLocation", phys);
	if (f->location)
		json_object_set_new(loc, "logicalLocations",
				    json_pack("[{s:s, s:s}]", "fullyQualifiedName", f->location,
					      "kind", "property"));
	if (f->macos)
		json_object_set_new(props, "macos", json_string(f->macos));
	if (f->arch)
		json_object_set_new(props, "arch", json_string(f->arch));
	res = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[o]}", "ruleId", f->rule, "ruleIndex",
			(json_int_t)index, "level", sarif_level(f->severity), "message", "text",
			f->message, "locations", loc);
	if (json_object_size(props))
		json_object_set_new(res, "properties", props);
	else
		json_decref(props);
	return res;
}

/* A rule's short description: the message of its first finding, the best words we have
 * for it without a second table that would drift from the model's. */
static const char *rule_text(const struct macext_findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].rule, id) == 0)
			return f->v[i].message;
	}
	return id;
}

static json_t *sarif_doc(const struct macext_findings *f)
{
	json_t *rules = json_array(), *results = json_array(), *driver, *doc;
	char *cwd = getcwd(NULL, 0);
	const char **ids;
	size_t nids = 0;

	ids = rule_ids(f, &nids);
	if (!ids) {
		free(cwd);
		json_decref(rules);
		json_decref(results);
		return NULL;
	}
	for (size_t i = 0; i < nids; i++)
		json_array_append_new(rules, json_pack("{s:s, s:{s:s}}", "id", ids[i],
						       "shortDescription", "text",
						       rule_text(f, ids[i])));
	for (size_t i = 0; i < f->n; i++)
		json_array_append_new(results, sarif_result(&f->v[i],
							    rule_index(ids, nids, f->v[i].rule), cwd));
	driver = json_pack("{s:s, s:s, s:o}", "name", "macext", "version", MACEXT_VERSION_STRING,
			   "rules", rules);
	doc = json_pack("{s:s, s:s, s:[{s:{s:o}, s:o}]}", "$schema", sarif_schema, "version",
			"2.1.0", "runs", "tool", "driver", driver, "results", results);
	free(ids);
	free(cwd);
	return doc;
}

static int print_text(const struct macext_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct macext_finding *x = &f->v[i];

		printf("%s: %s%s%s%s%s%s: %s [%s]\n", macext_severity_name(x->severity), x->path,
		       x->arch ? " (" : "", x->arch ? x->arch : "", x->arch ? ")" : "",
		       x->location ? ": " : "", x->location ? x->location : "", x->message, x->rule);
	}
	printf("%zu error%s, %zu warning%s, %zu note%s\n",
	       macext_findings_count(f, MACEXT_SEVERITY_ERROR),
	       macext_findings_count(f, MACEXT_SEVERITY_ERROR) == 1 ? "" : "s",
	       macext_findings_count(f, MACEXT_SEVERITY_WARNING),
	       macext_findings_count(f, MACEXT_SEVERITY_WARNING) == 1 ? "" : "s",
	       macext_findings_count(f, MACEXT_SEVERITY_NOTE),
	       macext_findings_count(f, MACEXT_SEVERITY_NOTE) == 1 ? "" : "s");
	return 0;
}

int cli_print_findings(struct cli *cli, const char *kind, const struct macext_findings *f,
		       enum cli_findings_format format, json_t *extra)
{
	json_t *doc, *list;
	int r;

	if (format == CLI_FINDINGS_TEXT) {
		json_decref(extra);
		return print_text(f);
	}
	if (format == CLI_FINDINGS_SARIF) {
		json_decref(extra);
		doc = sarif_doc(f);
		if (!doc)
			return cli_fail(cli, -ENOMEM, NULL, "sarif");
		r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		json_decref(doc);
		if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
			fputs("macext: stdout: write failed\n", stderr);
			return EXIT_IOERR;
		}
		return 0;
	}
	doc = extra ? extra : json_object();
	list = json_array();
	for (size_t i = 0; i < f->n; i++)
		json_array_append_new(list, finding_json(&f->v[i]));
	json_object_set_new(doc, "findings", list);
	json_object_set_new(doc, "summary", summary_json(f));
	return cli_print_json(cli, kind, doc);
}
