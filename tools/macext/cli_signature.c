/*
 * tools/macext/cli_signature.c: how code signatures are shown: the JSON of `codesign
 * verify|show --json`, their text forms, and the per-slice `signature` object of `inspect`
 * (ARCHITECTURE.md §4; docs/codesign.md, docs/inspect.md). Rendering only: verdicts come
 * from macext_codesign_verify_path().
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_signature.h"
#include "macext/codesign.h"

static json_t *time_json(bool has, int64_t t)
{
	char buf[21];

	if (!has)
		return json_null();
	macext_time_format(t, buf);
	return json_string(buf);
}

static json_t *errors_json(const struct macext_cs_error *e, size_t n, const char *arch)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s}", "code", e[i].code, "message", e[i].message);

		if (arch)
			json_object_set_new(o, "slice", json_string(arch));
		if (e[i].has_offset)
			json_object_set_new(o, "offset", json_integer((json_int_t)e[i].offset));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *chain_json(const struct macext_cs_slice *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->nchain; i++) {
		const struct macext_cs_cert *c = &s->chain[i];

		json_array_append_new(a, json_pack("{s:s?, s:s, s:s, s:s, s:o, s:o}", "common_name",
						   c->common_name, "subject", c->subject, "issuer",
						   c->issuer, "sha256", c->sha256, "not_before",
						   time_json(true, c->not_before), "not_after",
						   time_json(true, c->not_after)));
	}
	return a;
}

static json_t *cd_json(const struct macext_cs_codedir *c)
{
	char ver[16];

	snprintf(ver, sizeof(ver), "0x%x", c->version);
	return json_pack("{s:I, s:s, s:I, s:s, s:I, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "slot", (json_int_t)c->slot, "version", ver, "flags", (json_int_t)c->flags,
			 "hash_type", c->hash_name, "length", (json_int_t)c->length, "identifier",
			 c->identifier, "team_id", c->team_id, "special_slots",
			 (json_int_t)c->n_special, "code_slots", (json_int_t)c->n_code, "page_size",
			 (json_int_t)c->page_size, "code_limit", (json_int_t)c->code_limit,
			 "exec_seg_limit", (json_int_t)c->exec_seg_limit, "exec_seg_flags",
			 (json_int_t)c->exec_seg_flags, "runtime", (json_int_t)c->runtime);
}

json_t *cli_cs_slice_json(const struct macext_cs_slice *s)
{
	json_t *cds = json_array(), *hashes = json_array(), *o;

	for (size_t i = 0; i < s->ncds; i++) {
		json_t *c = cd_json(&s->cds[i]);

		json_object_set_new(c, "cdhash", json_string(s->cds[i].cdhash));
		json_array_append_new(cds, c);
		json_array_append_new(hashes, json_string(s->cds[i].cdhash));
	}
	o = json_pack("{s:s, s:I, s:I, s:b, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:b, s:o, s:o}",
		      "arch", s->arch, "offset", (json_int_t)s->offset, "size", (json_int_t)s->size,
		      "valid", s->valid, "kind", macext_cs_kind_name(s->kind), "identifier",
		      s->identifier, "cd_team_id", s->cd_team_id, "team_id", s->team_id,
		      "developer_name", s->developer_name, "cdhashes", hashes, "code_directories",
		      cds, "kext_requirement", s->kext_requirement, "signing_time",
		      time_json(s->has_signing_time, s->signing_time), "timestamp",
		      time_json(s->has_timestamp, s->timestamp));
	json_object_set_new(o, "cdhash",
			    s->ncds ? json_string(s->cds[s->best].cdhash) : json_null());
	json_object_set_new(o, "flags", json_integer(s->flags));
	json_object_set_new(o, "time_source",
			    json_string(macext_cs_time_source_name(s->time_source)));
	json_object_set_new(o, "validated_at",
			    time_json(s->time_source != MACEXT_CS_TIME_NONE, s->validated_at));
	json_object_set_new(o, "anchor", json_string(s->anchor_apple  ? "apple"
						     : s->anchor_test ? "test-anchor"
								      : "none"));
	json_object_set_new(o, "chain", chain_json(s));
	json_object_set_new(o, "requirements", s->requirements ? json_string(s->requirements)
							       : json_null());
	json_object_set_new(o, "entitlements", s->entitlements_xml
						       ? json_string(s->entitlements_xml)
						       : json_null());
	json_object_set_new(o, "designated_requirement",
			    !s->has_designated ? json_null()
			    : json_string(s->designated_ok ? "satisfied" : "failed"));
	json_object_set_new(o, "errors", errors_json(s->errors, s->nerrors, NULL));
	return o;
}

static json_t *nested_json(const struct macext_cs_result *res)
{
	json_t *a = json_array();

	for (size_t i = 0; i < res->nnested; i++) {
		const struct macext_cs_nested *n = &res->nested[i];

		json_array_append_new(a, json_pack("{s:s, s:b, s:s, s:s?, s:s?}", "path", n->path,
						   "valid", n->valid, "kind",
						   macext_cs_kind_name(n->kind), "team_id",
						   n->team_id, "error", n->first_error));
	}
	return a;
}

/* The signer of a file: the first slice with a chain (all slices must agree to be valid). */
static const struct macext_cs_slice *signer_slice(const struct macext_cs_result *res)
{
	for (size_t i = 0; i < res->nslices; i++)
		if (res->slices[i].nchain)
			return &res->slices[i];
	return NULL;
}

json_t *cli_cs_file_json(const char *path, const struct macext_cs_result *res)
{
	const struct macext_cs_slice *sg = signer_slice(res);
	json_t *slices = json_array(), *hashes = json_array(), *errs, *o, *signer = json_null();

	errs = errors_json(res->errors, res->nerrors, NULL);
	for (size_t i = 0; i < res->nslices; i++) {
		const struct macext_cs_slice *s = &res->slices[i];
		json_t *e = errors_json(s->errors, s->nerrors, s->arch);

		json_array_extend(errs, e);
		json_decref(e);
		json_array_append_new(slices, cli_cs_slice_json(s));
		if (s->ncds)
			json_array_append_new(hashes, json_string(s->cds[s->best].cdhash));
	}
	if (sg)
		signer = json_pack("{s:s?, s:s?, s:o}", "team_id", sg->team_id, "developer_name",
				   sg->developer_name, "chain", chain_json(sg));
	o = json_pack("{s:s, s:b, s:s, s:o, s:o, s:o, s:o}", "path", path, "valid", res->valid,
		      "kind", macext_cs_kind_name(res->kind), "signer", signer, "cdhashes", hashes,
		      "errors", errs, "slices", slices);
	json_object_set_new(o, "location", json_string(res->detached ? "detached" : "embedded"));
	json_object_set_new(o, "bundle", json_boolean(res->bundle));
	json_object_set_new(o, "main_executable", res->main_executable
							  ? json_string(res->main_executable)
							  : json_null());
	json_object_set_new(o, "resources",
			    res->resources_checked
				    ? json_pack("{s:I}", "checked", (json_int_t)res->resources_sealed)
				    : json_null());
	json_object_set_new(o, "nested", nested_json(res));
	return o;
}

void cli_cs_print_verify(struct cli *cli, const char *path, const struct macext_cs_result *res)
{
	const struct macext_cs_slice *sg = signer_slice(res);

	if (res->valid && !cli->quiet) {
		printf("%s: valid (%s", path, macext_cs_kind_name(res->kind));
		if (sg && sg->team_id)
			printf(", team %s", sg->team_id);
		if (sg && sg->developer_name)
			printf(", \"%s\"", sg->developer_name);
		printf(")\n");
	} else if (!res->valid && !cli->quiet) {
		printf("%s: invalid (%s)\n", path, macext_cs_kind_name(res->kind));
	}
	for (size_t i = 0; i < res->nerrors; i++)
		fprintf(stderr, "macext: %s: %s: %s\n", path, res->errors[i].code,
			res->errors[i].message);
	for (size_t i = 0; i < res->nslices; i++) {
		const struct macext_cs_slice *s = &res->slices[i];

		for (size_t j = 0; j < s->nerrors; j++) {
			fprintf(stderr, "macext: %s: slice %s: %s: %s", path, s->arch,
				s->errors[j].code, s->errors[j].message);
			if (s->errors[j].has_offset)
				fprintf(stderr, " at offset 0x%llx",
					(unsigned long long)s->errors[j].offset);
			fputc('\n', stderr);
		}
	}
}

void cli_cs_print_show(const char *path, const struct macext_cs_result *res)
{
	char t[21];

	printf("Executable=%s\n", res->main_executable ? res->main_executable : path);
	printf("Format=Mach-O %s (", res->nslices > 1 ? "universal" : "thin");
	for (size_t i = 0; i < res->nslices; i++)
		printf("%s%s", i ? " " : "", res->slices[i].arch);
	printf(")\n");
	for (size_t i = 0; i < res->nslices; i++) {
		const struct macext_cs_slice *s = &res->slices[i];

		printf("\nArchitecture=%s\n", s->arch);
		if (!s->ncds) {
			printf("code object is not signed at all\n");
			continue;
		}
		const struct macext_cs_codedir *b = &s->cds[s->best];
		printf("Identifier=%s\n", s->identifier);
		printf("CodeDirectory v=%x size=%u flags=0x%x hashes=%u+%u location=%s\n",
		       b->version, b->length, b->flags, b->n_code, b->n_special,
		       res->detached ? "detached" : "embedded");
		printf("Hash type=%s size=%u\n", b->hash_name, b->hash_type == 1 ? 20u
							       : b->hash_type == 4 ? 48u
										 : 32u);
		for (size_t j = 0; j < s->ncds; j++)
			printf("CandidateCDHash %s=%s\n", s->cds[j].hash_name, s->cds[j].cdhash);
		printf("CDHash=%s\n", b->cdhash);
		printf("Kind=%s\n", macext_cs_kind_name(s->kind));
		for (size_t j = 0; j < s->nchain; j++)
			printf("Authority=%s\n",
			       s->chain[j].common_name ? s->chain[j].common_name : s->chain[j].subject);
		if (s->has_signing_time) {
			macext_time_format(s->signing_time, t);
			printf("Signed Time=%s\n", t);
		}
		if (s->has_timestamp) {
			macext_time_format(s->timestamp, t);
			printf("Timestamp=%s\n", t);
		}
		printf("TeamIdentifier=%s\n", s->cd_team_id ? s->cd_team_id : "not set");
		if (b->runtime)
			printf("Runtime Version=%u.%u.%u\n", b->runtime >> 16, (b->runtime >> 8) & 0xff,
			       b->runtime & 0xff);
		printf("Valid=%s\n", s->valid ? "yes" : "no");
		for (size_t j = 0; j < s->nerrors; j++)
			printf("Error=%s: %s\n", s->errors[j].code, s->errors[j].message);
		if (s->requirements)
			printf("%s", s->requirements);
		if (s->entitlements_xml)
			printf("Entitlements=\n%s\n", s->entitlements_xml);
	}
	if (res->resources_checked)
		printf("\nSealed Resources checked=%zu\n", res->resources_sealed);
	for (size_t i = 0; i < res->nerrors; i++)
		printf("Error=%s: %s\n", res->errors[i].code, res->errors[i].message);
	for (size_t i = 0; i < res->nnested; i++)
		printf("Nested=%s valid=%s kind=%s\n", res->nested[i].path,
		       res->nested[i].valid ? "yes" : "no", macext_cs_kind_name(res->nested[i].kind));
}

json_t *cli_signature_slice_json(const struct macext_cs_result *res, const char *arch)
{
	const struct macext_cs_slice *s = NULL;
	json_t *hashes;

	for (size_t i = 0; res && i < res->nslices && !s; i++)
		if (!strcmp(res->slices[i].arch, arch) || res->nslices == 1)
			s = &res->slices[i];
	if (!s || s->kind == MACEXT_CS_UNSIGNED || s->ncds == 0)
		return json_null();
	hashes = json_array();
	for (size_t i = 0; i < s->ncds; i++)
		json_array_append_new(hashes, json_string(s->cds[i].cdhash));
	return json_pack("{s:s, s:s?, s:s?, s:o, s:s, s:I, s:b}", "kind",
			 macext_cs_kind_name(s->kind), "team_id",
			 s->team_id ? s->team_id : s->cd_team_id, "identifier", s->identifier,
			 "cdhashes", hashes, "cdhash", s->cds[s->best].cdhash, "flags",
			 (json_int_t)s->flags, "valid", s->valid);
}

void cli_signature_annotate(struct cli *cli, json_t *file, const char *path)
{
	struct macext_cs_options opt = {.now = cli->ctx->now};
	struct macext_cs_result *res = NULL;
	struct macext_diag d = {0};
	json_t *slices = json_object_get(file, "slices"), *s;
	size_t i;

	if (macext_codesign_verify_path(&res, path, &opt, &d) < 0)
		res = NULL;
	json_array_foreach (slices, i, s) {
		const char *arch = json_string_value(json_object_get(s, "arch"));

		json_object_set_new(s, "signature",
				    arch ? cli_signature_slice_json(res, arch) : json_null());
	}
	macext_cs_result_free(res);
}
