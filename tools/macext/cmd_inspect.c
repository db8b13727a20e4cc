/*
 * tools/macext/cmd_inspect.c: `macext inspect PATH… [--json] [-v]`.
 *
 * Every path is read into a JSON object first (macext/inspect/1, docs/inspect.md); only when
 * all of them have been read is anything printed, as the JSON document or as text rendered
 * from the same objects. So a bad path fails the command with stdout empty, and text and
 * JSON can never disagree. A directory is a kext bundle (macext_kext_open); a file is a
 * Mach-O (mapped, parsed once with its symbols).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_signature.h"
#include "macext/kext.h"
#include "macext/macho.h"
#include "util/file.h"

#define INSPECT_MAX_FILE ((uint64_t)4 << 30)

static const char usage[] = "macext inspect [--json] [-v] PATH...";

static void print_usage(void)
{
	printf("usage: %s\n\n"
	       "Shows what Mach-O files (thin or fat) and kext bundles contain: architectures,\n"
	       "file types, UUIDs, deployment targets, linked libraries, imported symbols,\n"
	       "segments and, for a bundle, its identifier, version and OSBundleLibraries.\n\n"
	       "options:\n"
	       "  --json         print one JSON document (schema macext/inspect/1)\n"
	       "  -v, --verbose  list every imported symbol and segment in the text output\n\n"
	       "exit codes: 0 ok, 64 usage, 65 a file is not a valid Mach-O or bundle,\n"
	       "66 a path does not exist\n",
	       usage);
}

static const char *platform_name(uint32_t p)
{
	static const char *const names[] = {
		[1] = "macos",	      [2] = "ios",	      [3] = "tvos",
		[4] = "watchos",      [5] = "bridgeos",	      [6] = "maccatalyst",
		[7] = "iossimulator", [8] = "tvossimulator", [9] = "watchossimulator",
		[10] = "driverkit",
	};

	return p < sizeof(names) / sizeof(names[0]) && names[p] ? names[p] : "unknown";
}

/* Apple's textual UUID form (uuid_unparse_upper, as dwarfdump --uuid prints it). */
static json_t *uuid_json(const uint8_t u[16])
{
	char s[37];

	snprintf(s, sizeof(s),
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	return json_string(s);
}

static json_t *packed_json(uint32_t v)
{
	char buf[16];

	macext_packed_version_format(v, buf);
	return json_string(buf);
}

/* Dylib versions are packed 16.8.8 like the deployment target but always shown with three
 * components, as otool -L and llvm-objdump do. */
static json_t *dylib_version_json(uint32_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%u.%u.%u", v >> 16, (v >> 8) & 0xffu, v & 0xffu);
	return json_string(buf);
}

static json_t *slice_json(const struct macext_slice *s)
{
	json_t *o = json_object(), *a;

	json_object_set_new(o, "arch", json_string(s->arch));
	json_object_set_new(o, "cputype", json_integer(s->cputype));
	json_object_set_new(o, "cpusubtype", json_integer(s->cpusubtype));
	json_object_set_new(o, "offset", json_integer((json_int_t)s->offset));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "filetype", json_string(macext_filetype_name(s->filetype)));
	json_object_set_new(o, "uuid", s->has_uuid ? uuid_json(s->uuid) : json_null());
	json_object_set_new(o, "platform",
			    s->build.present ? json_string(platform_name(s->build.platform))
					     : json_null());
	json_object_set_new(o, "min_os", s->build.present ? packed_json(s->build.minos) : json_null());
	json_object_set_new(o, "sdk", s->build.present ? packed_json(s->build.sdk) : json_null());
	json_object_set_new(o, "code_signature",
			    s->has_code_signature
				    ? json_pack("{s:I, s:I}", "offset", (json_int_t)s->codesig_offset,
						"size", (json_int_t)s->codesig_size)
				    : json_null());
	json_object_set_new(o, "defines_kmod_info", json_boolean(s->defines_kmod_info));
	a = json_array();
	for (size_t i = 0; i < s->nimports; i++)
		json_array_append_new(a, json_string(s->imports[i].name));
	json_object_set_new(o, "imports", a);
	a = json_array();
	for (size_t i = 0; i < s->nlibraries; i++) {
		const struct macext_dylib *d = &s->libraries[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o}", "name", d->name, "kind",
						   d->kind, "current_version",
						   dylib_version_json(d->current_version),
						   "compatibility_version",
						   dylib_version_json(d->compatibility_version)));
	}
	json_object_set_new(o, "libraries", a);
	a = json_array();
	for (size_t i = 0; i < s->nsegments; i++) {
		const struct macext_segment *g = &s->segments[i];

		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name", g->name,
						   "vmaddr", (json_int_t)g->vmaddr, "vmsize",
						   (json_int_t)g->vmsize, "fileoff",
						   (json_int_t)g->fileoff, "filesize",
						   (json_int_t)g->filesize, "nsects",
						   (json_int_t)g->nsects));
	}
	json_object_set_new(o, "segments", a);
	a = json_array();
	for (size_t i = 0; i < s->nfileset; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "id", s->fileset[i].id,
						   "vmaddr", (json_int_t)s->fileset[i].vmaddr,
						   "fileoff", (json_int_t)s->fileset[i].fileoff));
	json_object_set_new(o, "fileset", a);
	return o;
}

static json_t *slices_json(const struct macext_macho *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->nslices; i++)
		json_array_append_new(a, slice_json(&m->slices[i]));
	return a;
}

static int inspect_file(struct cli *cli, const char *path, json_t **ret)
{
	struct mx_map map = MX_MAP_INIT;
	struct macext_macho *m = NULL;
	struct macext_diag diag = {0};
	int r;

	r = mx_map_file(&map, path, INSPECT_MAX_FILE, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", path);
	r = macext_macho_parse(&m, map.data, map.len, 0, &diag);
	if (r < 0) {
		mx_unmap(&map);
		return cli_fail(cli, r, &diag, "%s", path);
	}
	*ret = json_pack("{s:s, s:s, s:I, s:o}", "path", path, "kind", m->fat ? "fat" : "macho",
			 "size", (json_int_t)m->size, "slices", slices_json(m));
	cli_signature_annotate(cli, *ret, path);
	macext_macho_free(m);
	mx_unmap(&map);
	return 0;
}

static const char *relative_to(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 1 && base[n - 1] == '/')
		n--;
	if (strncmp(path, base, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static int kext_json(struct cli *cli, const struct macext_kext *k, json_t **ret)
{
	const struct macext_kext_library *libs = NULL;
	const struct macext_diag *err = macext_kext_macho_error(k);
	const struct macext_macho *m = macext_kext_macho(k);
	const char *id = macext_kext_bundle_id(k), *ver = macext_kext_version(k);
	const char *exe = macext_kext_executable_path(k);
	json_t *o, *bundle, *libobj = json_object(), *plugins = json_array();
	size_t n;
	int r;

	if (err)
		return cli_fail(cli, err->code, err, "%s", exe ? exe : macext_kext_path(k));
	n = macext_kext_libraries(k, NULL, &libs);
	for (size_t i = 0; i < n; i++)
		json_object_set_new(libobj, libs[i].id,
				    libs[i].version ? json_string(libs[i].version) : json_null());
	for (size_t i = 0; i < macext_kext_nplugins(k); i++) {
		json_t *p = NULL;

		r = kext_json(cli, macext_kext_plugin(k, i), &p);
		if (r != 0) {
			json_decref(libobj);
			json_decref(plugins);
			return r;
		}
		json_array_append_new(plugins, p);
	}
	bundle = json_pack("{s:o, s:o, s:o, s:o}", "id", id ? json_string(id) : json_null(),
			   "version", ver ? json_string(ver) : json_null(), "executable",
			   exe ? json_string(relative_to(exe, macext_kext_path(k))) : json_null(),
			   "libraries", libobj);
	o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "path", macext_kext_path(k), "kind",
		      "kext-bundle", "bundle", bundle, "slices", m ? slices_json(m) : json_array(),
		      "plugins", plugins);
	cli_signature_annotate(cli, o, macext_kext_path(k));
	*ret = o;
	return 0;
}

static int inspect_bundle(struct cli *cli, const char *path, json_t **ret)
{
	struct macext_kext *k = NULL;
	struct macext_diag diag = {0};
	int r;

	r = macext_kext_open(&k, path, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", path);
	r = kext_json(cli, k, ret);
	macext_kext_free(k);
	return r;
}

static int inspect_one(struct cli *cli, const char *path, json_t **ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cli_fail(cli, -errno, NULL, "%s", path);
	if (S_ISDIR(st.st_mode))
		return inspect_bundle(cli, path, ret);
	return inspect_file(cli, path, ret);
}

/* ---- text rendering (from the JSON objects) ---- */

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void print_slice(json_t *s, bool verbose, const char *indent)
{
	json_t *imports = json_object_get(s, "imports"), *libs = json_object_get(s, "libraries");
	json_t *v;
	size_t i;

	printf("%s%s: %s, uuid %s", indent, str_or(s, "arch", "?"), str_or(s, "filetype", "?"),
	       str_or(s, "uuid", "none"));
	if (json_is_string(json_object_get(s, "min_os")))
		printf(", %s %s (sdk %s)", str_or(s, "platform", "?"), str_or(s, "min_os", "?"),
		       str_or(s, "sdk", "?"));
	printf(", %zu imports, %zu libraries%s", json_array_size(imports), json_array_size(libs),
	       json_is_null(json_object_get(s, "code_signature")) ? ", unsigned" : ", signed");
	if (json_is_object(json_object_get(s, "signature")))
		printf(" (%s%s%s)", str_or(json_object_get(s, "signature"), "kind", "?"),
		       json_is_string(json_object_get(json_object_get(s, "signature"), "team_id"))
			       ? ", team "
			       : "",
		       str_or(json_object_get(s, "signature"), "team_id", ""));
	printf("\n");
	json_array_foreach (libs, i, v)
		printf("%s  library %s (%s)\n", indent, str_or(v, "name", "?"), str_or(v, "kind", "?"));
	json_array_foreach (json_object_get(s, "fileset"), i, v)
		printf("%s  fileset entry %s\n", indent, str_or(v, "id", "?"));
	if (!verbose)
		return;
	json_array_foreach (json_object_get(s, "segments"), i, v)
		printf("%s  segment %-16s vmaddr 0x%llx vmsize 0x%llx\n", indent, str_or(v, "name", "?"),
		       (unsigned long long)json_integer_value(json_object_get(v, "vmaddr")),
		       (unsigned long long)json_integer_value(json_object_get(v, "vmsize")));
	json_array_foreach (imports, i, v)
		printf("%s  import %s\n", indent, json_string_value(v));
}

static void print_file(json_t *f, bool verbose, const char *indent)
{
	json_t *slices = json_object_get(f, "slices"), *bundle = json_object_get(f, "bundle"), *v;
	const char *kind = str_or(f, "kind", "?");
	char sub[64];
	size_t i;

	printf("%s%s: %s", indent, str_or(f, "path", "?"), kind);
	if (bundle) {
		printf(" %s %s\n", str_or(bundle, "id", "(no identifier)"),
		       str_or(bundle, "version", "(no version)"));
		printf("%s  executable: %s\n", indent, str_or(bundle, "executable", "(none)"));
		const char *key;

		json_object_foreach (json_object_get(bundle, "libraries"), key, v)
			printf("%s  OSBundleLibraries: %s %s\n", indent, key,
			       json_is_string(v) ? json_string_value(v) : "(not a string)");
	} else {
		printf(", %zu slice%s\n", json_array_size(slices),
		       json_array_size(slices) == 1 ? "" : "s");
	}
	snprintf(sub, sizeof(sub), "%s  ", indent);
	json_array_foreach (slices, i, v)
		print_slice(v, verbose, sub);
	json_array_foreach (json_object_get(f, "plugins"), i, v)
		print_file(v, verbose, sub);
}

int cmd_inspect(struct cli *cli, int argc, char **argv)
{
	json_t *files = json_array();
	bool verbose = cli->verbose;
	int npaths = 0, r = 0;

	argc = cli_take_json(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			print_usage();
			json_decref(files);
			return 0;
		}
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			verbose = true;
			argv[i] = NULL;
		} else if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			json_decref(files);
			return cli_usage_error(usage, "inspect: unknown option '%s'", argv[i]);
		}
	}
	for (int i = 1; i < argc; i++) {
		json_t *f = NULL;

		if (!argv[i])
			continue;
		npaths++;
		r = inspect_one(cli, argv[i], &f);
		if (r != 0)
			goto out;
		json_array_append_new(files, f);
	}
	if (npaths == 0) {
		r = cli_usage_error(usage, "inspect: missing PATH");
		goto out;
	}
	if (cli->json) {
		r = cli_print_json(cli, "inspect", json_pack("{s:O}", "files", files));
		goto out;
	}
	for (size_t i = 0; i < json_array_size(files); i++)
		print_file(json_array_get(files, i), verbose, "");
out:
	json_decref(files);
	return r;
}
