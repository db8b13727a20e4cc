/*
 * tools/macext/cmd_kmutil.c: `macext kmutil create|inspect` (docs/kmutil.md).
 *
 * create builds the Auxiliary Kernel Collection from kext bundles (macext_auxkc_build) and
 * writes it atomically; inspect reads a collection back (macext_kc_parse) and lists its
 * kexts. Options keep kmutil's spellings (boot-chain.md §6.1): -n/--new, -a/--arch,
 * -r/--repository, -p/--bundle-path, -A/--aux-path, -B/--boot-path, -S/--system-path,
 * -L/--no-system-collection. With a modeled Mac at --root, its arch and release are the
 * defaults and the collection goes to <root>/Library/KernelCollections/.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/kc.h"
#include "macext/machine.h"
#include "util/file.h"

#define KMUTIL_MAX_KC_FILE ((uint64_t)1 << 30)
#define AUXKC_RELPATH "Library/KernelCollections/AuxiliaryKernelExtensions.kc"

static const char group_usage[] = "macext kmutil create|inspect [<options>]";
static const char create_usage[] =
    "macext kmutil create [-n aux] [-a ARCH] [-r DIR]... [-p KEXT]... [-A OUT]\n"
    "              [-B BOOT_KC] [-S SYSTEM_KC | -L] [--macos V] [--json]";
static const char inspect_usage[] = "macext kmutil inspect [-A] [PATH] [--json]";

static void uuid_text(const uint8_t u[16], char s[37])
{
	snprintf(s, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static json_t *uuid_json(bool has, const uint8_t u[16])
{
	char s[37];

	if (!has)
		return json_null();
	uuid_text(u, s);
	return json_string(s);
}

static json_t *str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ---- paths ------------------------------------------------------------------------------- */

struct paths {
	char **v;
	size_t n, cap;
};

static int paths_add(struct paths *p, const char *s)
{
	char **nv;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		nv = realloc(p->v, p->cap * sizeof(*p->v));
		if (!nv)
			return -ENOMEM;
		p->v = nv;
	}
	p->v[p->n] = strdup(s);
	if (!p->v[p->n])
		return -ENOMEM;
	p->n++;
	return 0;
}

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.kext bundles directly in DIR (not recursive, like kmutil's repositories), sorted. */
static int scan_repository(struct cli *cli, const char *dir, struct paths *out)
{
	struct paths found = {0};
	struct dirent *d;
	DIR *h = opendir(dir);
	int r = 0;

	if (!h)
		return cli_fail(cli, -errno, NULL, "%s", dir);
	while ((d = readdir(h)) != NULL && r == 0) {
		size_t n = strlen(d->d_name);
		char *p;

		if (n <= 5 || strcmp(d->d_name + n - 5, ".kext") != 0)
			continue;
		p = mx_path_join(dir, d->d_name);
		r = p ? paths_add(&found, p) : -ENOMEM;
		free(p);
	}
	closedir(h);
	if (found.n)
		qsort(found.v, found.n, sizeof(*found.v), cmp_str);
	for (size_t i = 0; i < found.n && r == 0; i++)
		r = paths_add(out, found.v[i]);
	paths_free(&found);
	return r < 0 ? cli_fail(cli, r, NULL, "%s", dir) : 0;
}

/* The UUID of the kernel collection at PATH (-B / -S). */
static int kc_uuid(struct cli *cli, const char *path, uint8_t out[16])
{
	struct mx_map map = MX_MAP_INIT;
	struct macext_diag diag = {0};
	struct macext_kc *kc = NULL;
	bool has = false;
	int r;

	r = mx_map_file(&map, path, KMUTIL_MAX_KC_FILE, &diag);
	if (r == 0)
		r = macext_kc_parse(&kc, map.data, map.len, &diag);
	if (r == 0) {
		has = kc->has_uuid;
		memcpy(out, kc->uuid, 16);
	}
	macext_kc_free(kc);
	mx_unmap(&map);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", path);
	if (!has)
		return cli_fail(cli, -EBADMSG, NULL, "%s: the collection has no LC_UUID", path);
	return 0;
}

/* ---- create ------------------------------------------------------------------------------ */

static json_t *create_json(const char *out, const char *arch, const struct macext_auxkc *kc)
{
	json_t *in = json_array(), *left = json_array();

	for (size_t i = 0; i < kc->nitems; i++) {
		const struct macext_auxkc_item *it = &kc->items[i];

		if (it->included)
			json_array_append_new(
			    in,
			    json_pack(
				"{s:s, s:o, s:s, s:b, s:o, s:o}", "bundle_id", it->bundle_id,
				"version", str_json(it->version), "path", it->path, "codeless",
				it->codeless, "fileoff",
				it->codeless ? json_null() : json_integer((json_int_t)it->fileoff),
				"vmaddr",
				it->codeless ? json_null() : json_integer((json_int_t)it->vmaddr)));
		else
			json_array_append_new(left, json_pack("{s:s, s:o, s:s, s:s}", "bundle_id",
							      it->bundle_id, "version",
							      str_json(it->version), "path",
							      it->path, "reason", it->reason));
	}
	return json_pack("{s:s, s:s, s:o, s:I, s:o, s:o}", "path", out, "arch", arch, "uuid",
			 uuid_json(true, kc->uuid), "size", (json_int_t)kc->len, "kexts", in,
			 "left_out", left);
}

static void create_text(const char *out, const struct macext_auxkc *kc)
{
	size_t in = 0, codeless = 0;
	char u[37];

	for (size_t i = 0; i < kc->nitems; i++) {
		in += kc->items[i].included;
		codeless += kc->items[i].codeless;
	}
	uuid_text(kc->uuid, u);
	printf("built the auxiliary kext collection %s\n", out);
	printf("  UUID %s, %zu bytes, %zu kexts (%zu codeless), %zu left out\n", u, kc->len, in,
	       codeless, kc->nitems - in);
	for (size_t i = 0; i < kc->nitems; i++) {
		const struct macext_auxkc_item *it = &kc->items[i];

		if (!it->included)
			printf("  left out: %s %s (%s)\n", it->bundle_id,
			       it->version ? it->version : "(no version)", it->reason);
	}
}

static const char create_help[] =
    "Builds the Auxiliary Kernel Collection (AuxKC) from kext bundles, as kmd does when\n"
    "kexts are approved on macOS 11 and later: each kext's slice for the arch and its\n"
    "Info.plist go in (plug-ins too); kexts on the exclude list, com.apple kexts not marked\n"
    "OSBundleRequired Auxiliary and kexts marked Root or Safe Boot are left out and named in\n"
    "the kext receipt.\n\n"
    "options:\n"
    "  -n, --new aux               the collection to build (only aux)\n"
    "  -a, --arch ARCH             x86_64, arm64 or arm64e (default: the modeled Mac's,\n"
    "                              else x86_64)\n"
    "  -r, --repository DIR        every *.kext directly in DIR (repeatable)\n"
    "  -p, --bundle-path KEXT      one kext bundle (repeatable)\n"
    "  -A, --aux-path OUT          where to write (default, with a modeled Mac at --root:\n"
    "                              <root>/" AUXKC_RELPATH ")\n"
    "  -B, --boot-path KC          the boot collection whose UUID goes into _BootKCID\n"
    "  -S, --system-path KC        the system collection whose UUID goes into _PageableKCID\n"
    "  -L, --no-system-collection  build without a system collection (the default)\n"
    "      --macos V               the release (default: the modeled Mac's, else the newest)\n"
    "      --json                  print a macext/kmutil-create/1 document\n\n"
    "exit codes: 0 ok, 64 usage, 65 a kext or collection is malformed or too big,\n"
    "66 a path does not exist, 73 a bundle id appears twice or OUT cannot be written\n";

struct create_args {
	const char *arch, *out, *boot, *system;
	bool no_system, have_macos;
	struct macext_macos_version macos;
	struct paths kexts;
};

static int parse_create(struct cli *cli, int argc, char **argv, struct create_args *a)
{
	static const struct option opts[] = {
	    {"new", required_argument, NULL, 'n'},
	    {"arch", required_argument, NULL, 'a'},
	    {"repository", required_argument, NULL, 'r'},
	    {"bundle-path", required_argument, NULL, 'p'},
	    {"aux-path", required_argument, NULL, 'A'},
	    {"boot-path", required_argument, NULL, 'B'},
	    {"system-path", required_argument, NULL, 'S'},
	    {"no-system-collection", no_argument, NULL, 'L'},
	    {"macos", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:n:a:r:p:A:B:S:Lh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (strcmp(optarg, "aux") != 0)
				return cli_usage_error(
				    create_usage,
				    "kmutil create: only the auxiliary collection "
				    "(-n aux) can be built, not '%s'",
				    optarg);
			break;
		case 'a':
			a->arch = optarg;
			break;
		case 'r':
			r = scan_repository(cli, optarg, &a->kexts);
			if (r != 0)
				return r;
			break;
		case 'p':
			if (paths_add(&a->kexts, optarg) < 0)
				return cli_fail(cli, -ENOMEM, NULL, "kmutil create");
			break;
		case 'A':
			a->out = optarg;
			break;
		case 'B':
			a->boot = optarg;
			break;
		case 'S':
			a->system = optarg;
			break;
		case 'L':
			a->no_system = true;
			break;
		case 'm':
			if (macext_macos_parse(optarg, &a->macos) < 0)
				return cli_usage_error(
				    create_usage, "--macos: unknown macOS release '%s'", optarg);
			a->have_macos = true;
			break;
		case 'h':
			printf("usage: %s\n\n%s", create_usage, create_help);
			return -1;
		case ':':
			return cli_usage_error(create_usage, "kmutil create: %s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error(create_usage, "kmutil create: unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(create_usage, "kmutil create: unexpected argument '%s'",
				       argv[optind]);
	if (a->system && a->no_system)
		return cli_usage_error(create_usage,
				       "kmutil create: -S and -L (no system collection) conflict");
	return 0;
}

/* Defaults from the modeled Mac at --root, if there is one. */
static int machine_defaults(struct cli *cli, struct create_args *a, char **out_alloc)
{
	struct macext_machine_info *m = NULL;
	struct macext_diag diag = {0};
	int r;

	r = macext_machine_load(cli->ctx, &m, &diag);
	if (r == -ENOENT) {
		if (!a->out)
			return cli_usage_error(create_usage,
					       "kmutil create: no modeled Mac at %s; give -A OUT",
					       cli->root);
		if (!a->arch)
			a->arch = "x86_64";
		if (!a->have_macos)
			macext_machine_newest_macos(&a->macos);
		return 0;
	}
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	if (!a->arch)
		a->arch = strncmp(m->arch, "arm64", 5) == 0 ? "arm64e" : "x86_64";
	if (!a->have_macos)
		a->macos = m->macos;
	macext_machine_info_free(m);
	if (!a->out) {
		*out_alloc = mx_path_join(cli->root, AUXKC_RELPATH);
		if (!*out_alloc)
			return cli_fail(cli, -ENOMEM, NULL, "kmutil create");
		a->out = *out_alloc;
	}
	return 0;
}

static int write_out(struct cli *cli, const char *out, const struct macext_auxkc *kc)
{
	char *dir = strdup(out), *slash;
	int r = 0;

	if (!dir)
		return cli_fail(cli, -ENOMEM, NULL, "%s", out);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = mx_mkdir_p(dir, 0755);
	}
	free(dir);
	if (r == 0)
		r = mx_write_atomic(out, kc->data, kc->len, 0644);
	return r < 0 ? cli_fail(cli, r, NULL, "%s", out) : 0;
}

static int cmd_create(struct cli *cli, int argc, char **argv)
{
	struct create_args a = {0};
	struct macext_auxkc_opts o = {0};
	struct macext_auxkc *kc = NULL;
	struct macext_diag diag = {0};
	uint8_t boot[16], sys[16];
	char *out_alloc = NULL;
	int r;

	argc = cli_take_json(cli, argc, argv);
	r = parse_create(cli, argc, argv, &a);
	if (r < 0) {
		r = 0; /* --help */
		goto out;
	}
	if (r == 0)
		r = machine_defaults(cli, &a, &out_alloc);
	if (r == 0 && a.boot)
		r = kc_uuid(cli, a.boot, boot);
	if (r == 0 && a.system)
		r = kc_uuid(cli, a.system, sys);
	if (r != 0)
		goto out;
	o.arch = a.arch;
	o.macos = a.macos;
	o.root = cli->root;
	o.boot_kc_uuid = a.boot ? boot : NULL;
	o.pageable_kc_uuid = a.system ? sys : NULL;
	r = macext_auxkc_build((const char *const *)a.kexts.v, a.kexts.n, &o, &kc, &diag);
	if (r < 0) {
		r = cli_fail(cli, r, &diag, "kmutil create");
		goto out;
	}
	r = write_out(cli, a.out, kc);
	if (r != 0)
		goto out;
	if (cli->json)
		r = cli_print_json(cli, "kmutil-create", create_json(a.out, a.arch, kc));
	else if (!cli->quiet)
		create_text(a.out, kc);
out:
	macext_auxkc_free(kc);
	paths_free(&a.kexts);
	free(out_alloc);
	return r;
}

/* ---- inspect ----------------------------------------------------------------------------- */

static json_t *inspect_json(const char *path, const struct macext_kc *kc)
{
	json_t *entries = json_array(), *codeless = json_array(), *receipt;

	for (size_t i = 0; i < kc->nkexts; i++) {
		const struct macext_kc_kext *k = &kc->kexts[i];

		if (k->has_entry)
			json_array_append_new(
			    entries,
			    json_pack("{s:s, s:o, s:o, s:I, s:I, s:o}", "bundle_id", k->bundle_id,
				      "version", str_json(k->version), "uuid",
				      uuid_json(k->has_uuid, k->uuid), "fileoff",
				      (json_int_t)k->fileoff, "vmaddr", (json_int_t)k->vmaddr,
				      "collection_type", str_json(k->collection_type)));
		else
			json_array_append_new(
			    codeless, json_pack("{s:s, s:o, s:o}", "bundle_id", k->bundle_id,
						"version", str_json(k->version), "collection_type",
						str_json(k->collection_type)));
	}
	receipt = kc->has_receipt
		      ? json_pack("{s:I, s:I}", "offset", (json_int_t)kc->receipt_offset, "size",
				  (json_int_t)kc->receipt_size)
		      : json_null();
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "path", path, "arch",
			 kc->arch, "uuid", uuid_json(kc->has_uuid, kc->uuid), "prelink_kc_uuid",
			 uuid_json(kc->has_prelink_kc_uuid, kc->prelink_kc_uuid), "boot_kc_uuid",
			 uuid_json(kc->has_boot_kc_uuid, kc->boot_kc_uuid), "pageable_kc_uuid",
			 uuid_json(kc->has_pageable_kc_uuid, kc->pageable_kc_uuid), "receipt",
			 receipt, "entries", entries, "codeless", codeless);
}

static void print_uuid_line(const char *label, bool has, const uint8_t u[16])
{
	char s[37];

	if (has)
		uuid_text(u, s);
	printf("%-17s %s\n", label, has ? s : "none");
}

static void inspect_text(const char *path, const struct macext_kc *kc)
{
	char s[37];

	printf("kernel collection %s\n", path);
	printf("%-17s %s\n", "arch:", kc->arch);
	print_uuid_line("UUID:", kc->has_uuid, kc->uuid);
	print_uuid_line("prelink KC ID:", kc->has_prelink_kc_uuid, kc->prelink_kc_uuid);
	print_uuid_line("boot KC UUID:", kc->has_boot_kc_uuid, kc->boot_kc_uuid);
	print_uuid_line("system KC UUID:", kc->has_pageable_kc_uuid, kc->pageable_kc_uuid);
	if (kc->has_receipt)
		printf("%-17s %llu bytes at 0x%llx\n",
		       "kext receipt:", (unsigned long long)kc->receipt_size,
		       (unsigned long long)kc->receipt_offset);
	else
		printf("%-17s none\n", "kext receipt:");
	printf("\nfileset entries (%zu):\n", kc->nentries);
	if (kc->nentries)
		printf("  %-10s  %-18s  %-36s  %-10s  %s\n", "fileoff", "vmaddr", "UUID", "version",
		       "bundle id");
	for (size_t i = 0; i < kc->nentries; i++) {
		const struct macext_kc_kext *k = &kc->kexts[i];

		if (k->has_uuid)
			uuid_text(k->uuid, s);
		printf("  0x%08llx  0x%016llx  %-36s  %-10s  %s\n", (unsigned long long)k->fileoff,
		       (unsigned long long)k->vmaddr, k->has_uuid ? s : "-",
		       k->version ? k->version : "-", k->bundle_id);
	}
	if (kc->nkexts > kc->nentries) {
		printf("\nprelink info only (codeless, %zu):\n", kc->nkexts - kc->nentries);
		for (size_t i = kc->nentries; i < kc->nkexts; i++)
			printf("  %-10s  %s\n", kc->kexts[i].version ? kc->kexts[i].version : "-",
			       kc->kexts[i].bundle_id);
	}
}

static int cmd_inspect_kc(struct cli *cli, int argc, char **argv)
{
	struct mx_map map = MX_MAP_INIT;
	struct macext_diag diag = {0};
	struct macext_kc *kc = NULL;
	const char *path = NULL;
	char *def = NULL;
	int r;

	argc = cli_take_json(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf(
			    "usage: %s\n\n"
			    "Lists what a kernel collection holds: each fileset entry (bundle id,\n"
			    "version, UUID, file offset, address), the kexts that are only in the\n"
			    "prelink info (codeless), the collection's UUID, the boot and system\n"
			    "collection UUIDs it was linked against, and its kext receipt.\n"
			    "PATH defaults to the modeled Mac's <root>/" AUXKC_RELPATH ".\n\n"
			    "options:\n"
			    "  -A, --aux-path PATH  the collection to read (same as PATH)\n"
			    "  --json               print a macext/kmutil-inspect/1 document\n\n"
			    "exit codes: 0 ok, 64 usage, 65 not a valid kernel collection,\n"
			    "66 the file does not exist\n",
			    inspect_usage);
			return 0;
		}
		if ((strcmp(argv[i], "-A") == 0 || strcmp(argv[i], "--aux-path") == 0) &&
		    i + 1 < argc && !path)
			path = argv[++i];
		else if (argv[i][0] == '-' || path)
			return cli_usage_error(inspect_usage, "kmutil inspect: unexpected '%s'",
					       argv[i]);
		else
			path = argv[i];
	}
	if (!path) {
		def = mx_path_join(cli->root, AUXKC_RELPATH);
		if (!def)
			return cli_fail(cli, -ENOMEM, NULL, "kmutil inspect");
		path = def;
	}
	r = mx_map_file(&map, path, KMUTIL_MAX_KC_FILE, &diag);
	if (r == 0)
		r = macext_kc_parse(&kc, map.data, map.len, &diag);
	if (r < 0) {
		r = cli_fail(cli, r, &diag, "%s", path);
	} else if (cli->json) {
		r = cli_print_json(cli, "kmutil-inspect", inspect_json(path, kc));
	} else {
		inspect_text(path, kc);
		r = 0;
	}
	macext_kc_free(kc);
	mx_unmap(&map);
	free(def);
	return r;
}

static const struct cmd kmutil_cmds[] = {
    {"create", cmd_create, "build the auxiliary kernel collection from kext bundles"},
    {"inspect", cmd_inspect_kc, "list the kexts a kernel collection holds"},
    {NULL, NULL, NULL},
};

int cmd_kmutil(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "kmutil", group_usage, kmutil_cmds, argc, argv);
}
