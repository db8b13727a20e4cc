#ifndef MACEXT_POLICY_H
#define MACEXT_POLICY_H
/*
 * The kext load policy (lib/policy): pure rules. A caller (lib/machine) gathers every fact
 * a rule needs into struct macext_facts; macext_policy_decide() runs the rules in the order
 * of reference/kexts.md §1.11 and returns the decision, the exit code and the exact text of
 * the modeled macOS version's tool, plus a trace with one entry per rule (`macext why`).
 * Policy opens no file, reads no clock and never prints: the modeled time is a fact.
 * Rule ids, outcomes and references: docs/why.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/codesign.h"
#include "macext/error.h"
#include "macext/kext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds the approval pane offers a blocked kext after the alert (TN2459 / seed 003);
 * 29:59 after the block it may be approved, at 30:00 the load must be retried. */
#define MACEXT_POLICY_APPROVAL_WINDOW_S 1800

/* csr-active-config bits the kext rules look at (boot-chain.md §7.3, xnu bsd/sys/csr.h). */
#define MACEXT_CSR_ALLOW_UNTRUSTED_KEXTS 0x1u
#define MACEXT_CSR_ALLOW_APPLE_INTERNAL 0x10u
#define MACEXT_CSR_ALLOW_UNAPPROVED_KEXTS 0x200u

/* ---- enums and their one string table each ----------------------------------------------- */

enum macext_decision {
	MACEXT_DECISION_ALLOW,
	MACEXT_DECISION_DENY,
	MACEXT_DECISION_NEEDS_APPROVAL,
	MACEXT_DECISION_NEEDS_RESTART,
};
/** "allow", "deny", "needs-approval", "needs-restart" (NULL for other values). */
MACEXT_API const char *macext_decision_name(enum macext_decision d);

enum macext_platform {
	MACEXT_PLATFORM_X86_64,    /* Intel Mac without a T2 */
	MACEXT_PLATFORM_X86_64_T2, /* Intel Mac with a T2: same kext rules (boot-chain.md §2.3) */
};
/** "x86_64", "x86_64-t2". */
MACEXT_API const char *macext_platform_name(enum macext_platform p);
/** Parses the machine.plist arch; -EINVAL for anything else (arm64 has other rules). */
MACEXT_API int macext_platform_parse(const char *text, enum macext_platform *ret);

enum macext_boot_state {
	MACEXT_BOOT_NORMAL,
	MACEXT_BOOT_RECOVERY,
};

enum macext_enrollment {
	MACEXT_ENROLL_NONE,
	MACEXT_ENROLL_USER_APPROVED,
	MACEXT_ENROLL_ADE,
	MACEXT_ENROLL_USER_ENROLLMENT,
};
/** "none", "user-approved", "ade", "user-enrollment". */
MACEXT_API const char *macext_enrollment_name(enum macext_enrollment e);
/** -EINVAL for an unknown name. */
MACEXT_API int macext_enrollment_parse(const char *text, enum macext_enrollment *ret);

/* Where a kext lies; the co-approval scopes of TN2459 (kexts.md §1.5). */
enum macext_kext_location {
	MACEXT_KEXT_LOC_OTHER,
	MACEXT_KEXT_LOC_SYSTEM,             /* /System/Library/Extensions */
	MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS, /* /Library/Extensions */
	MACEXT_KEXT_LOC_APP_BUNDLE,         /* inside an application bundle (nearest *.app) */
	MACEXT_KEXT_LOC_APP_SUPPORT,        /* /Library/Application Support/<app>/ */
};
/** "other", "system", "library-extensions", "app-bundle", "app-support". */
MACEXT_API const char *macext_kext_location_name(enum macext_kext_location l);

/** Classifies the absolute macOS path of a kext ("/Library/Extensions/Foo.kext") and returns
 * the length of its scope prefix in PATH ("/Applications/Foo.app", "/Library/Application
 * Support/Foo", "/Library/Extensions"; 0 for OTHER). An app bundle wins over the other
 * classes; nested apps: the nearest one (kexts.md §1.5, §9 P4). */
MACEXT_API enum macext_kext_location macext_kext_location_classify(const char *path,
								   size_t *ret_scope_len);

enum macext_tristate {
	MACEXT_UNSET, /* key absent: the payload's default applies */
	MACEXT_FALSE,
	MACEXT_TRUE,
};

/* ---- facts ---------------------------------------------------------------------------------- */

/* One deprecated-KPI category the kext falls into (lib/model's classifier, kexts.md §7.6);
 * list only the categories whose outcome at the modeled release is not "none". */
struct macext_kpi_fact {
	const char *id;       /* "kauth", "hid", "audio", ... (data/deprecated_kpis.json) */
	bool unsupported;     /* unsupported at the modeled release (not loaded by default) */
	bool obligatory;      /* 12.3+ migration called obligatory (seed-002); loads (§9 P13) */
	const char *evidence; /* "symbols _kauth_listen_scope", or NULL */
};

/* One KextPolicy kext_policy row (kexts.md §3). */
struct macext_approval_row {
	bool present;
	const char *team_id; /* "" for a row of an unsigned kext */
	const char *bundle_id;
	bool allowed;               /* allowed = 1 */
	const char *developer_name; /* may be NULL */
};

/* AllowedKernelExtensions: one Team ID key ("" = unsigned kexts) and its bundle IDs. */
struct macext_mdm_kext_team {
	const char *team_id;
	const char *const *bundle_ids;
	size_t nbundle_ids;
};

/* One installed com.apple.syspolicy.kernel-extension-policy payload (mdm-sysext.md §2). */
struct macext_mdm_kext_payload {
	const char *profile_id;   /* top-level PayloadIdentifier, for the trace */
	const char *payload_uuid; /* PayloadUUID */
	const char *const *allowed_teams; /* AllowedTeamIdentifiers */
	size_t nallowed_teams;
	const struct macext_mdm_kext_team *allowed_kexts; /* AllowedKernelExtensions */
	size_t nallowed_kexts;
	enum macext_tristate allow_user_overrides;          /* default false */
	enum macext_tristate allow_non_admin_user_approvals; /* default false, 11.0+ */
};

/*
 * Everything a rule reads. Strings are borrowed and must outlive the call; a NULL string
 * means "absent". lib/machine fills it from the modeled Mac, the store and lib/model.
 */
struct macext_facts {
	/* the Mac */
	struct macext_macos_version macos;
	enum macext_platform platform;
	uint32_t csr_active_config; /* SIP; 0 = fully on */
	enum macext_boot_state boot_state;
	enum macext_enrollment enrollment;
	int64_t now; /* the modeled clock, seconds since 1970 UTC */

	/* the kext */
	struct {
		const char *bundle_id; /* CFBundleIdentifier */
		const char *version;   /* CFBundleVersion */
		const char *path;      /* absolute macOS path, as KextPolicy records it */
		enum macext_kext_location location;
		bool codeless; /* no CFBundleExecutable */
	} kext;

	/* its code signature (codesign.md; kexts.md §8.3-8.4) */
	struct {
		enum macext_cs_kind kind;
		bool valid;       /* verifies, every slice, strict */
		bool kext_marker; /* leaf has 1.2.840.113635.100.6.1.18 (kext signing) */
		bool exception_listed; /* ad-hoc hash on the exclude-list kext's exception lists */
		const char *team_id;        /* NULL or "" when there is none */
		const char *developer_name; /* U6 / P16; NULL if none */
		const char *cdhash;         /* 40 lower-case hex, or NULL */
	} sig;

	/* lib/model's results */
	const struct macext_kpi_fact *kpi; /* deprecated-KPI categories matched */
	size_t nkpi;
	bool excluded;        /* exclude list, user-space grammar (decides, P20) */
	bool excluded_kernel; /* exclude list, kernel grammar (trace only) */
	const char *exclude_rule; /* the rule string that applied, or NULL */

	/* the store */
	struct macext_approval_row approval; /* the kext_policy row found for the kext */
	bool team_approved_in_scope; /* another kext of this team in the same scope is approved */
	bool grandfathered;          /* listed in migration.plist (present before 10.13, P7) */
	struct {
		bool present;       /* a blocked load is recorded (kext_load_history_v3) */
		int64_t blocked_at; /* its last_seen */
	} pending;

	/* spctl kext-consent (NVRAM, P8) */
	struct {
		bool enabled; /* consent required (the default) */
		const char *const *teams;
		size_t nteams;
	} consent;

	/* installed MDM kext policy payloads; honoured per the enrolment above */
	const struct macext_mdm_kext_payload *mdm;
	size_t nmdm;

	/* the acting user (the one loading, or approving) */
	struct {
		const char *name;
		bool admin;
	} user;

	/* loaded state and the Auxiliary Kernel Collection (11+) */
	bool loaded;
	struct {
		bool in_booted;             /* in the AuxKC the Mac booted with */
		const char *booted_cdhash;  /* the cdhash recorded there, or NULL */
		bool update_allowed;        /* the user allowed an update; new AuxKC pending */
	} auxkc;
};

/* ---- trace ---------------------------------------------------------------------------------- */

#define MACEXT_TRACE_MAX 16

struct macext_trace_entry {
	const char *rule;      /* "exclude", "sip", "signing", ... (static) */
	const char *outcome;   /* the rule's own word: "pass", "refuse", "approved", ... (static) */
	const char *detail;    /* the inputs it looked at; owned by the trace */
	const char *reference; /* the macOS behaviour and its source (static) */
	size_t detail_off;     /* internal: offset of detail in the trace's text */
};

struct macext_trace {
	struct macext_trace_entry entries[MACEXT_TRACE_MAX];
	size_t n;
	char *text; /* details and the message, '\0'-separated; reused across resets */
	size_t text_len, text_cap;
};

/** Zeroes T. A zeroed trace is ready to use. */
MACEXT_API void macext_trace_init(struct macext_trace *t);
/** Forgets the entries but keeps the memory, so a loop of decisions allocates nothing. */
MACEXT_API void macext_trace_reset(struct macext_trace *t);
/** Frees what T holds (not T itself); T is then as after macext_trace_init(). */
MACEXT_API void macext_trace_free(struct macext_trace *t);
/** The entry of RULE in T, or NULL. */
MACEXT_API const struct macext_trace_entry *macext_trace_find(const struct macext_trace *t,
							      const char *rule);

/* ---- decisions -------------------------------------------------------------------------- */

/**
 * Decides whether the kext of F may load now. Resets T and appends one entry per rule, in
 * the order of kexts.md §1.11 (docs/why.md). On success *RET_EXIT_CODE is the exit status
 * of the modeled release's tool (0, 27, 28, 29, 71) and *RET_MESSAGE its exact text
 * (kextload/kextutil lines up to 10.15, kmutil's KMErrorDomain line from 11; several lines
 * are '\n'-separated), or NULL for an allowed load; the text lives in T until the next
 * reset. A refusal is a result: the return is 0 with MACEXT_DECISION_DENY. Errors: -EINVAL
 * (a NULL argument, no bundle id or path, a release before 10.12), -ENOMEM; on error the
 * outputs are untouched.
 */
MACEXT_API int macext_policy_decide(const struct macext_facts *f, struct macext_trace *t,
				    enum macext_decision *ret_decision, int *ret_exit_code,
				    const char **ret_message);

/* Whether the acting user may approve the pending kext of F now (the pane's Allow). */
struct macext_approval_verdict {
	bool allowed;
	int exit_code;         /* 0; 69 nothing to approve (window over, MDM, unsigned); 77 */
	const char *reason;    /* static text for the CLI's error line; NULL when allowed */
	const char *reference; /* static */
	int64_t expires;       /* end of the window (blocked_at + 30 min); 0 if none pending */
};

/**
 * Applies the approval rules to F->user, F->pending and F->now: the 30-minute window
 * (expired: load the kext again), MDM's AllowUserOverrides, unsigned kexts on Intel (P6),
 * and from macOS 11 the administrator requirement unless MDM sets
 * AllowNonAdminUserApprovals (U5, P5). Returns 0 and fills *RET, or -EINVAL.
 */
MACEXT_API int macext_policy_may_approve(const struct macext_facts *f,
					 struct macext_approval_verdict *ret);

/* A kext on disk that approving F's kext might approve too. */
struct macext_coapproval_candidate {
	const char *team_id;
	const char *bundle_id;
	const char *path; /* absolute macOS path */
};

/**
 * Team-ID co-approval (TN2459, kexts.md §1.5): sets RET_SELECTED[i] for each of the N
 * candidates approved together with F's kext: same non-empty Team ID, and in
 * /Library/Extensions, or in the same application bundle as F's kext, or in the same
 * /Library/Application Support sub-folder. The kext itself (same path) is not selected.
 * Returns the number selected, or -EINVAL.
 */
MACEXT_API int macext_policy_coapprove(const struct macext_facts *f,
				       const struct macext_coapproval_candidate *cands, size_t n,
				       bool *ret_selected);

/**
 * spctl kext-consent changes work only in Recovery OS (kexts.md §1.6): 0 when F's boot state
 * is recovery, else MACEXT_E_NEEDS_RECOVERY.
 */
MACEXT_API int macext_policy_consent_may_change(const struct macext_facts *f);

#ifdef __cplusplus
}
#endif
#endif
