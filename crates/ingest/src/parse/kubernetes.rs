//! Kubernetes API server audit events: `audit.k8s.io/v1` (and `v1beta1`) `Event` objects as the
//! log backend writes them, one JSON object per record (an `EventList`'s `items` are split by
//! the decoder), with `auditID`, `stage`, `verb`, `requestURI`, `user`, `impersonatedUser`,
//! `sourceIPs`, `userAgent`, `objectRef`, `responseStatus`, the two timestamps and
//! `annotations`. Also the wrappers managed clusters ship them in: AKS diagnostic logs
//! (`category` `kube-audit`/`kube-audit-admin`, the event in `properties.log`, a JSON string)
//! and GKE Cloud Audit Logs entries (a `protoPayload` of service `k8s.io`). EKS events exported
//! from CloudWatch Logs are bare events; extra keys around them (Panther's `p_*`) are ignored.
//!
//! A request answered 401 is a failed Logon; a request made as `system:anonymous` (or in the
//! group `system:unauthenticated`) an anonymous Logon, successful when it was authorized; a
//! request with an `impersonatedUser` an Account Switch to that user. Every other request is
//! API Activity, so that `trace` can follow a user through the cluster. Only the
//! `ResponseComplete` and `Panic` stages carry a request's outcome: `RequestReceived` and
//! `ResponseStarted` events (and GKE's first entry of a longer operation) are not events of
//! their own.

use std::net::IpAddr;

use authtrail_model::event::json_kind;
use authtrail_model::{Event, HttpRequest, Service, Session, User};
use serde_json::{json, Map, Value};

use crate::parse::build::{
    self, ProductInfo, ACCOUNT_SWITCH, ACTIVITY_UNKNOWN, API_ACTIVITY, API_CREATE, API_DELETE,
    API_READ, API_UPDATE, AUTHENTICATION, FAILURE, LOGON, OTHER, STATUS_UNKNOWN, SUCCESS,
    USER_TYPE_SERVICE, USER_TYPE_SYSTEM,
};
use crate::parse::json_fields;
use crate::parse::{ParseContext, ParseResult, Unrecognized};

/// The Kubernetes API server, as `metadata.product`.
pub const PRODUCT: ProductInfo = ProductInfo {
    name: "kube-apiserver",
    vendor: "Kubernetes",
};

/// How many `sourceIPs` entries besides the source an event keeps.
const MAX_SOURCE_IPS: usize = 32;
/// How many groups of a user an event keeps.
const MAX_GROUPS: usize = 64;

/// The user of requests that presented no credentials.
const ANONYMOUS: &str = "system:anonymous";
/// The group of requests that presented no credentials.
const UNAUTHENTICATED: &str = "system:unauthenticated";

/// Annotation: the authorizer's decision (`allow`, `forbid`).
const DECISION: &str = "authorization.k8s.io/decision";
/// Annotation: why the authorizer decided so.
const REASON: &str = "authorization.k8s.io/reason";
/// Annotation: the id of a credential a request issued (a service account token).
const ISSUED_CREDENTIAL: &str = "authentication.kubernetes.io/issued-credential-id";
/// User extra: the id of the credential the request authenticated with (`JTI=…`).
const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";
/// User extra: the AWS access key id behind an EKS IAM identity.
const ACCESS_KEY_ID: &str = "accessKeyId";
/// User extras of bound service account tokens: the pod or node the token is bound to.
const BOUND_OBJECTS: [(&str, &str); 4] = [
    (
        "authentication.kubernetes.io/pod-name",
        "kubernetes.pod_name",
    ),
    ("authentication.kubernetes.io/pod-uid", "kubernetes.pod_uid"),
    (
        "authentication.kubernetes.io/node-name",
        "kubernetes.node_name",
    ),
    (
        "authentication.kubernetes.io/node-uid",
        "kubernetes.node_uid",
    ),
];

/// The verbs of Kubernetes requests (for GKE's method names, which end with one).
const VERBS: [&str; 10] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "proxy",
    "connect",
];

/// Who a request was made as (`user`, `impersonatedUser`).
#[derive(Debug, Default)]
struct Identity {
    name: Option<String>,
    uid: Option<String>,
    groups: Vec<String>,
    groups_omitted: usize,
    extra: Map<String, Value>,
}

/// What a request's `objectRef` names.
#[derive(Debug, Default)]
struct ObjectRef {
    resource: Option<String>,
    subresource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    api_group: Option<String>,
    api_version: Option<String>,
}

/// One audit event, read from whichever shape carried it.
#[derive(Debug, Default)]
struct Audit {
    audit_id: Option<String>,
    stage: Option<String>,
    level: Option<String>,
    verb: Option<String>,
    /// GKE's method name.
    method: Option<String>,
    request_uri: Option<String>,
    user: Option<Identity>,
    impersonated: Option<Identity>,
    source_ips: Vec<String>,
    source_ips_omitted: usize,
    user_agent: Option<String>,
    object: Option<ObjectRef>,
    /// The source's own response code (HTTP; gRPC for GKE).
    code: Option<i64>,
    /// The response code as HTTP's.
    http_code: Option<i64>,
    message: Option<String>,
    reason: Option<String>,
    decision: Option<String>,
    authz_reason: Option<String>,
    issued_credential: Option<String>,
    /// Annotations other than those mapped.
    annotations: Map<String, Value>,
    token_review: Option<Value>,
    time_ms: Option<i64>,
    start_ms: Option<i64>,
    cloud: Option<Value>,
    /// What the wrapper adds, for `unmapped`.
    wrapper: Vec<(&'static str, Value)>,
}

/// What a request becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Answered 401: a failed logon.
    Unauthenticated,
    /// Made as another user: an account switch.
    Impersonation,
    /// Made without credentials: an anonymous logon.
    Anonymous,
    /// Anything else: API Activity.
    Api,
}

/// Map one Kubernetes audit event (bare, AKS- or GKE-wrapped) to an OCSF event.
pub fn parse(text: &str, ctx: &mut ParseContext) -> ParseResult {
    let map = json_fields::object(text.trim(), "Kubernetes audit event")?;
    let audit = read(&map, ctx)?;
    check_stage(&audit)?;
    Ok(event_of(audit, ctx))
}

/// Whether a line or JSON record looks like a Kubernetes audit event (for `--format auto`).
pub fn looks_like(text: &str) -> bool {
    let has = |s: &str| text.contains(s);
    let native =
        has("\"auditID\"") && (has("\"stage\"") || has("\"verb\"")) && has("\"requestURI\"");
    // Also matches `v1beta1`, and the event inside an AKS record's `properties.log` string.
    let declared = has("audit.k8s.io/v1");
    let bare = has("\"verb\"") && (has("\"objectRef\"") || has("\"sourceIPs\""));
    let aks = has("\"properties\"") && has("\"kube-audit");
    let gke = has("\"protoPayload\"") && (has("\"k8s.io\"") || has("\"io.k8s."));
    native || declared || bare || aks || gke
}

/// The audit event of a record, unwrapped.
fn read(map: &Map<String, Value>, ctx: &ParseContext) -> Result<Audit, Unrecognized> {
    if let Some(payload) = map.get("protoPayload") {
        let Value::Object(payload) = payload else {
            return Err(bad("protoPayload", payload, "an object"));
        };
        return gke(map, payload, ctx);
    }
    let aks_category = map
        .get("category")
        .and_then(Value::as_str)
        .is_some_and(|c| c.starts_with("kube-audit"));
    let aks_log = map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("log"));
    if aks_category || aks_log {
        return aks(map, ctx);
    }
    native(map, ctx)
}

/// A bare `audit.k8s.io` event.
fn native(map: &Map<String, Value>, ctx: &ParseContext) -> Result<Audit, Unrecognized> {
    check_kind(map)?;
    let mut a = Audit {
        audit_id: text(map, "", "auditID")?,
        stage: text(map, "", "stage")?,
        level: text(map, "", "level")?,
        verb: text(map, "", "verb")?,
        request_uri: text(map, "", "requestURI")?,
        user_agent: text(map, "", "userAgent")?,
        user: object(map, "", "user")?
            .map(|u| identity(u, "user."))
            .transpose()?,
        impersonated: object(map, "", "impersonatedUser")?
            .map(|u| identity(u, "impersonatedUser."))
            .transpose()?,
        object: object(map, "", "objectRef")?.map(object_ref).transpose()?,
        ..Audit::default()
    };
    (a.source_ips, a.source_ips_omitted) =
        strings(map.get("sourceIPs"), "sourceIPs", MAX_SOURCE_IPS)?;
    if let Some(status) = object(map, "", "responseStatus")? {
        a.code = integer(status, "responseStatus.", "code")?;
        a.http_code = a.code;
        a.message = text(status, "responseStatus.", "message")?;
        a.reason = text(status, "responseStatus.", "reason")?;
    }
    if let Some(annotations) = object(map, "", "annotations")? {
        read_annotations(&mut a, annotations);
    }
    a.token_review = token_review(map, a.object.as_ref());
    a.time_ms = time(map, "stageTimestamp", ctx)?;
    let received = time(map, "requestReceivedTimestamp", ctx)?;
    match a.time_ms {
        Some(_) => a.start_ms = received,
        None => a.time_ms = received,
    }
    Ok(a)
}

/// Refuse objects that are not audit events: an `EventList` read whole, core `v1` Events
/// (cluster events), other kinds, JSON with none of an audit event's keys.
fn check_kind(map: &Map<String, Value>) -> Result<(), Unrecognized> {
    let kind = text(map, "", "kind")?;
    let api_version = text(map, "", "apiVersion")?;
    if kind.as_deref() == Some("EventList") {
        return Err(Unrecognized::new(
            "an audit EventList: --format kubernetes splits it into its items",
        ));
    }
    if let Some(v) = api_version
        .as_deref()
        .filter(|v| !v.starts_with("audit.k8s.io/"))
    {
        return Err(Unrecognized::because(format!(
            "apiVersion {v:?} is not audit.k8s.io: not an audit event"
        )));
    }
    if let Some(k) = kind.as_deref().filter(|k| *k != "Event") {
        return Err(Unrecognized::because(format!(
            "kind {k:?} is not an audit Event"
        )));
    }
    let keyed = ["auditID", "verb", "requestURI", "stage"]
        .iter()
        .any(|k| map.contains_key(*k));
    if api_version.is_none() && !keyed {
        return Err(Unrecognized::new(
            "not a Kubernetes audit event: no apiVersion, auditID, verb, stage or requestURI",
        ));
    }
    Ok(())
}

/// An AKS diagnostic log record: the audit event in `properties.log`.
fn aks(entry: &Map<String, Value>, ctx: &ParseContext) -> Result<Audit, Unrecognized> {
    if let Some(c) = text(entry, "", "category")?.filter(|c| !c.starts_with("kube-audit")) {
        return Err(Unrecognized::because(format!(
            "AKS diagnostic log of category {c:?} is not kube-audit"
        )));
    }
    let log = match entry.get("properties").and_then(|p| p.get("log")) {
        Some(Value::String(s)) => json_fields::object(s, "in properties.log")?,
        Some(Value::Object(m)) => m.clone(),
        Some(other) => return Err(bad("properties.log", other, "a string")),
        None => {
            return Err(Unrecognized::new(
                "AKS kube-audit record without properties.log",
            ))
        }
    };
    let mut a = native(&log, ctx)?;
    if a.time_ms.is_none() {
        a.time_ms = time(entry, "time", ctx)?;
    }
    a.cloud = Some(json!({ "provider": "Azure" }));
    if let Some(id) = text(entry, "", "resourceId")? {
        a.wrapper
            .push(("kubernetes.azure_resource_id", Value::from(id)));
    }
    Ok(a)
}

/// A GKE Cloud Audit Logs entry of service `k8s.io`.
fn gke(
    entry: &Map<String, Value>,
    payload: &Map<String, Value>,
    ctx: &ParseContext,
) -> Result<Audit, Unrecognized> {
    const P: &str = "protoPayload.";
    let service = text(payload, P, "serviceName")?;
    let method = text(payload, P, "methodName")?;
    let kubernetes = match service.as_deref() {
        Some(s) => s == "k8s.io",
        None => method.as_deref().is_some_and(|m| m.starts_with("io.k8s.")),
    };
    if !kubernetes {
        return Err(Unrecognized::because(format!(
            "GCP audit log entry of service {:?} is not a Kubernetes audit event",
            service.as_deref().unwrap_or("")
        )));
    }
    let operation = object(entry, "", "operation")?;
    let flag = |key: &str| operation.and_then(|o| o.get(key)).and_then(Value::as_bool);
    let mut a = Audit {
        // The entry that opens a longer operation (exec, watch) is GKE's ResponseStarted.
        stage: (flag("first") == Some(true) && flag("last") != Some(true))
            .then(|| "ResponseStarted".to_string()),
        audit_id: match operation {
            Some(o) => text(o, "operation.", "id")?,
            None => None,
        }
        .or(text(entry, "", "insertId")?),
        verb: method
            .as_deref()
            .and_then(|m| m.rsplit('.').next())
            .filter(|v| VERBS.contains(v))
            .map(String::from),
        method,
        ..Audit::default()
    };
    gke_caller(payload, &mut a)?;
    gke_outcome(entry, payload, &mut a)?;
    a.time_ms = time(entry, "timestamp", ctx)?;
    gke_cluster(entry, &mut a);
    if let Some(m) = &a.method {
        a.wrapper
            .push(("kubernetes.method_name", Value::from(m.as_str())));
    }
    Ok(a)
}

/// Who called, from where, on what: `authenticationInfo`, `requestMetadata`, `resourceName`.
fn gke_caller(payload: &Map<String, Value>, a: &mut Audit) -> Result<(), Unrecognized> {
    const P: &str = "protoPayload.";
    if let Some(auth) = object(payload, P, "authenticationInfo")? {
        const W: &str = "protoPayload.authenticationInfo.";
        // Panther's tests name the anonymous user in `authoritySelector`.
        let name = text(auth, W, "principalEmail")?
            .or(text(auth, W, "authoritySelector")?.filter(|s| s.starts_with("system:")));
        a.user = name.map(|name| Identity {
            name: Some(name),
            ..Identity::default()
        });
    }
    if let Some(meta) = object(payload, P, "requestMetadata")? {
        const W: &str = "protoPayload.requestMetadata.";
        let ip = text(meta, W, "callerIp")?.or(text(meta, W, "callerIP")?);
        a.source_ips = ip.into_iter().collect();
        a.user_agent = text(meta, W, "callerSuppliedUserAgent")?;
    }
    if let Some(name) = text(payload, P, "resourceName")? {
        if name.starts_with('/') {
            a.request_uri = Some(name);
        } else {
            a.object = Some(gke_object(&name));
        }
    }
    Ok(())
}

/// The outcome: `status` (a gRPC status) and the authorization decision, from the entry's
/// labels or else `authorizationInfo`.
fn gke_outcome(
    entry: &Map<String, Value>,
    payload: &Map<String, Value>,
    a: &mut Audit,
) -> Result<(), Unrecognized> {
    if let Some(status) = object(payload, "protoPayload.", "status")? {
        // proto3 JSON leaves out a zero code: `{}` is OK.
        let code = integer(status, "protoPayload.status.", "code")?.unwrap_or(0);
        a.code = Some(code);
        a.http_code = Some(grpc_as_http(code));
        a.message = text(status, "protoPayload.status.", "message")?;
    }
    if let Some(labels) = object(entry, "", "labels")? {
        read_annotations(a, labels);
    }
    if a.decision.is_none() {
        a.decision = granted(payload.get("authorizationInfo"));
    }
    Ok(())
}

/// The cluster, from the monitored resource's labels: `cloud` and the cluster's name.
fn gke_cluster(entry: &Map<String, Value>, a: &mut Audit) {
    let mut cloud = Map::new();
    cloud.insert("provider".into(), Value::from("GCP"));
    let labels = entry
        .get("resource")
        .and_then(|r| r.get("labels"))
        .and_then(Value::as_object);
    let label = |k: &str| {
        labels?
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(p) = label("project_id") {
        cloud.insert("project_uid".into(), Value::from(p));
    }
    if let Some(l) = label("location") {
        cloud.insert("region".into(), Value::from(l));
    }
    if let Some(c) = label("cluster_name") {
        a.wrapper.push(("kubernetes.cluster", Value::from(c)));
    }
    a.cloud = Some(Value::Object(cloud));
}

/// A GKE `resourceName` (`core/v1/namespaces/NS/pods/NAME/exec`, `apps/v1/deployments`) as an
/// object reference.
fn gke_object(name: &str) -> ObjectRef {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let own = |i: usize| parts.get(i).map(|s| s.to_string());
    let (group, version) = (own(0), own(1));
    let rest = parts.get(2..).unwrap_or(&[]);
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(ns.to_string()), tail),
        _ => (None, rest),
    };
    let at = |i: usize| rest.get(i).map(|s| s.to_string());
    ObjectRef {
        resource: at(0),
        name: at(1),
        subresource: at(2),
        namespace,
        api_group: group.filter(|g| g != "core"),
        api_version: version,
        ..ObjectRef::default()
    }
}

/// A gRPC status code as the HTTP status the API server answered with.
fn grpc_as_http(code: i64) -> i64 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

/// GKE's `authorizationInfo[].granted` as a decision: `allow` when every check was granted
/// (proto3 JSON leaves out a `false`).
fn granted(info: Option<&Value>) -> Option<String> {
    let checks = info?.as_array().filter(|c| !c.is_empty())?;
    let allowed = checks
        .iter()
        .all(|c| c.get("granted").and_then(Value::as_bool) == Some(true));
    Some(if allowed { "allow" } else { "forbid" }.to_string())
}

/// Take the authorization decision, its reason and an issued credential's id out of the
/// annotations (GKE: the entry's labels); keep the others.
fn read_annotations(a: &mut Audit, annotations: &Map<String, Value>) {
    let mut rest = annotations.clone();
    let mut take = |key: &str| match rest.remove(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    a.decision = take(DECISION);
    a.authz_reason = take(REASON);
    a.issued_credential = take(ISSUED_CREDENTIAL).map(|c| token_id(&c).to_string());
    a.annotations = rest;
}

/// The outcome of a TokenReview the API server answered (level RequestResponse): whether the
/// token authenticated and as whom. The token itself (in the request) is never read.
fn token_review(map: &Map<String, Value>, object: Option<&ObjectRef>) -> Option<Value> {
    let object = object?;
    let review = object.resource.as_deref() == Some("tokenreviews")
        && object.api_group.as_deref() == Some("authentication.k8s.io");
    if !review {
        return None;
    }
    let status = map.get("responseObject")?.get("status")?.as_object()?;
    let mut out = Map::new();
    if let Some(ok) = status.get("authenticated").and_then(Value::as_bool) {
        out.insert("authenticated".into(), Value::from(ok));
    }
    if let Some(name) = status
        .get("user")
        .and_then(|u| u.get("username"))
        .and_then(Value::as_str)
    {
        out.insert("user".into(), Value::from(name));
    }
    if let Some(error) = status.get("error").and_then(Value::as_str) {
        out.insert("error".into(), Value::from(error));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Refuse the stages that do not carry the request's outcome.
fn check_stage(a: &Audit) -> Result<(), Unrecognized> {
    match a.stage.as_deref() {
        None | Some("ResponseComplete" | "Panic") => Ok(()),
        Some(s @ ("RequestReceived" | "ResponseStarted")) => Err(Unrecognized::because(format!(
            "stage {s}: the request's outcome is in its ResponseComplete event"
        ))),
        Some(other) => Err(Unrecognized::because(format!(
            "unknown audit stage {other:?}"
        ))),
    }
}

impl Kind {
    /// What a request is: a 401 first, then impersonation, then anonymous access.
    fn of(a: &Audit) -> Kind {
        if a.http_code == Some(401) {
            Kind::Unauthenticated
        } else if a.impersonated.is_some() {
            Kind::Impersonation
        } else if a.user.as_ref().is_some_and(Identity::is_anonymous) {
            Kind::Anonymous
        } else {
            Kind::Api
        }
    }
}

impl Identity {
    /// Whether the request presented no credentials.
    fn is_anonymous(&self) -> bool {
        matches!(self.name.as_deref(), Some(ANONYMOUS | UNAUTHENTICATED))
            || self.groups.iter().any(|g| g == UNAUTHENTICATED)
    }

    /// The identity as an OCSF user: name, uid, groups and, for service accounts and the
    /// system's own identities, the type.
    fn user(&self) -> User {
        let mut u = User {
            name: self.name.clone(),
            uid: self.uid.clone(),
            ..User::default()
        };
        if !self.groups.is_empty() {
            let groups = self.groups.iter().map(|g| json!({ "name": g })).collect();
            u.extra.insert("groups".into(), Value::Array(groups));
        }
        if let Some((id, caption)) = self.name.as_deref().and_then(user_type) {
            u.extra.insert("type_id".into(), Value::from(id));
            u.extra.insert("type".into(), Value::from(caption));
        }
        u
    }
}

/// The OCSF user type of a Kubernetes user name, when the name says it.
fn user_type(name: &str) -> Option<(i32, &'static str)> {
    if name.starts_with("system:serviceaccount:") {
        Some((USER_TYPE_SERVICE, "Service"))
    } else if name.starts_with("system:node:")
        || name.starts_with("system:kube-")
        || name == "system:apiserver"
    {
        Some((USER_TYPE_SYSTEM, "System"))
    } else {
        None
    }
}

/// The status of a request from its response code (else a forbidding decision); a code that
/// is no HTTP status says nothing.
fn response_status(a: &Audit) -> i32 {
    match a.http_code {
        Some(100..=399) => SUCCESS,
        Some(400..) => FAILURE,
        _ if a.decision.as_deref() == Some("forbid") => FAILURE,
        _ => STATUS_UNKNOWN,
    }
}

/// The status of an anonymous request: whether it was let in.
fn anonymous_status(a: &Audit) -> i32 {
    match (a.decision.as_deref(), a.http_code) {
        (Some("forbid"), _) | (_, Some(403)) => FAILURE,
        (Some("allow"), _) | (_, Some(100..=399)) => SUCCESS,
        (_, Some(400..)) => FAILURE,
        _ => STATUS_UNKNOWN,
    }
}

/// The API Activity activity of a verb (non-resource requests' verbs are HTTP methods).
fn verb_activity(verb: Option<&str>) -> i32 {
    match verb {
        None => ACTIVITY_UNKNOWN,
        Some("create" | "post") => API_CREATE,
        Some("get" | "list" | "watch" | "head") => API_READ,
        Some("update" | "patch" | "put") => API_UPDATE,
        Some("delete" | "deletecollection") => API_DELETE,
        Some(_) => OTHER,
    }
}

/// The class, activity and status of a request.
fn outcome(kind: Kind, a: &Audit) -> (u32, i32, i32) {
    match kind {
        Kind::Unauthenticated => (AUTHENTICATION, LOGON, FAILURE),
        Kind::Impersonation => (AUTHENTICATION, ACCOUNT_SWITCH, response_status(a)),
        Kind::Anonymous => (AUTHENTICATION, LOGON, anonymous_status(a)),
        Kind::Api => (
            API_ACTIVITY,
            verb_activity(a.verb.as_deref()),
            response_status(a),
        ),
    }
}

/// The OCSF event of an audit event whose stage carries the outcome.
fn event_of(mut a: Audit, ctx: &ParseContext) -> Event {
    let kind = Kind::of(&a);
    let (class_uid, activity_id, status_id) = outcome(kind, &a);
    let time_ms = a.time_ms.unwrap_or(ctx.received_ms);
    let mut e = build::new_event(class_uid, activity_id, status_id, time_ms, PRODUCT);
    e.metadata.uid = a.audit_id.clone();
    e.status_code = a.code.map(|c| c.to_string());
    e.status_detail = a.message.clone().or_else(|| a.reason.clone());
    if let Some(start) = a.start_ms {
        e.other.insert("start_time".into(), Value::from(start));
    }
    if let Some(cloud) = a.cloud.take() {
        e.other.insert("cloud".into(), cloud);
    }
    source(&mut e, &a);
    http_request(&mut e, &a);
    credentials(&mut e, &mut a);
    people(&mut e, &a, kind);
    if kind == Kind::Api {
        api(&mut e, &a);
    } else {
        e.service = Some(Service {
            name: Some(PRODUCT.name.into()),
            ..Service::default()
        });
        request_unmapped(&mut e, &a);
    }
    if a.user.as_ref().is_some_and(Identity::is_anonymous) {
        e.unmapped
            .insert("kubernetes.anonymous".into(), Value::Bool(true));
    }
    unmapped(&mut e, a);
    e
}

/// `user` and `actor`: on API Activity the requester is both (`user=` searches read `user` on
/// every class); on an account switch `user` is the impersonated user and `actor.user` the
/// requester; on a logon the requester is `user`. The authorization decision is the actor's.
fn people(e: &mut Event, a: &Audit, kind: Kind) {
    let requester = a.user.as_ref().map(Identity::user);
    // The actor may hold the credential's session already.
    let mut actor = match e.actor.take() {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    match kind {
        // API Activity has no `user`: the requester is the actor's.
        Kind::Api => {
            if let Some(u) = &requester {
                actor.insert("user".into(), json!(u));
            }
        }
        Kind::Impersonation => {
            e.user = a.impersonated.as_ref().map(Identity::user);
            if let Some(u) = requester {
                actor.insert("user".into(), json!(u));
            }
        }
        Kind::Unauthenticated | Kind::Anonymous => {
            if let Some(u) = &requester {
                actor.insert("user".into(), json!(u));
            }
            e.user = requester;
        }
    }
    if let Some(decision) = &a.decision {
        let mut authorization = json!({ "decision": decision });
        if let Some(reason) = &a.authz_reason {
            authorization["policy"] = json!({ "name": "kubernetes authorizer", "desc": reason });
        }
        actor.insert("authorizations".into(), json!([authorization]));
    }
    if !actor.is_empty() && !actor.contains_key("user") {
        // An actor is named by someone: an unauthenticated caller is the unknown user.
        actor.insert("user".into(), json!(User::unknown()));
    }
    if !actor.is_empty() {
        e.actor = Some(Value::Object(actor));
    }
}

/// `sourceIPs`: the first that is an address is the source; the others go to `unmapped`.
fn source(e: &mut Event, a: &Audit) {
    let first = a
        .source_ips
        .iter()
        .position(|ip| ip.parse::<IpAddr>().is_ok());
    if let Some(i) = first {
        e.src_endpoint = Some(build::endpoint(&a.source_ips[i], None));
    }
    let others: Vec<Value> = a
        .source_ips
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != first)
        .map(|(_, ip)| Value::from(ip.as_str()))
        .collect();
    if !others.is_empty() {
        e.unmapped
            .insert("kubernetes.source_ips".into(), Value::Array(others));
    }
    if a.source_ips_omitted > 0 {
        e.unmapped.insert(
            "kubernetes.source_ips_omitted".into(),
            Value::from(a.source_ips_omitted),
        );
    }
}

/// `requestURI` (path and query) and `userAgent` as the HTTP request.
fn http_request(e: &mut Event, a: &Audit) {
    let mut http = HttpRequest {
        user_agent: a.user_agent.clone(),
        ..HttpRequest::default()
    };
    if let Some(uri) = &a.request_uri {
        let (path, query) = match uri.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (uri.as_str(), None),
        };
        let mut url = Map::new();
        url.insert("path".into(), Value::from(path));
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            url.insert("query_string".into(), Value::from(q));
        }
        http.extra.insert("url".into(), Value::Object(url));
    }
    if http.user_agent.is_some() || !http.extra.is_empty() {
        e.http_request = Some(http);
    }
}

/// The credential the request authenticated with (a bound token's id, else an EKS identity's
/// AWS access key id) as `session.credential_uid`; the pod or node a token is bound to and the
/// user's other extras to `unmapped`.
fn credentials(e: &mut Event, a: &mut Audit) {
    let Some(id) = a.user.as_mut() else {
        return;
    };
    let credential = take_extra(&mut id.extra, CREDENTIAL_ID)
        .map(|c| token_id(&c).to_string())
        .or_else(|| take_extra(&mut id.extra, ACCESS_KEY_ID));
    if let Some(c) = credential {
        let mut session = Session::default();
        session
            .extra
            .insert("credential_uid".into(), Value::from(c));
        if e.class_uid == API_ACTIVITY {
            // API Activity has no `session`: the credential is the actor's session's.
            if let Ok(v) = serde_json::to_value(&session) {
                build::set_actor(e, "session", v);
            }
        } else {
            e.session = Some(session);
        }
    }
    for (key, slot) in BOUND_OBJECTS {
        if let Some(v) = take_extra(&mut id.extra, key) {
            e.unmapped.insert(slot.into(), Value::from(v));
        }
    }
    if !id.extra.is_empty() {
        let extra = std::mem::take(&mut id.extra);
        e.unmapped
            .insert("kubernetes.user_extra".into(), Value::Object(extra));
    }
}

/// A credential id without its `JTI=` prefix (the token's `jti` claim).
fn token_id(credential: &str) -> &str {
    credential.strip_prefix("JTI=").unwrap_or(credential)
}

/// Remove a user extra (or Panther's rewriting of its key, `a_b_slash_c` for `a.b/c`) and
/// return its first value.
fn take_extra(extra: &mut Map<String, Value>, key: &str) -> Option<String> {
    let panther = key.replace('.', "_").replace('/', "_slash_");
    let value = extra.remove(key).or_else(|| extra.remove(&panther))?;
    match value {
        Value::String(s) => Some(s),
        Value::Array(values) => values
            .into_iter()
            .find_map(|v| v.as_str().map(String::from)),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// API Activity's `api` and `resources`.
fn api(e: &mut Event, a: &Audit) {
    let mut api = Map::new();
    // OCSF requires the operation: a request without a verb has an unknown one.
    let op = a
        .verb
        .as_deref()
        .or(a.method.as_deref())
        .unwrap_or("unknown");
    api.insert("operation".into(), Value::from(op));
    if let Some(id) = &a.audit_id {
        api.insert("request".into(), json!({ "uid": id }));
    }
    let mut response = Map::new();
    if let Some(code) = a.code {
        response.insert("code".into(), Value::from(code));
    }
    if let Some(reason) = &a.reason {
        response.insert("error".into(), Value::from(reason.as_str()));
    }
    if let Some(message) = &a.message {
        response.insert("message".into(), Value::from(message.as_str()));
    }
    if !response.is_empty() {
        api.insert("response".into(), Value::Object(response));
    }
    if let Some(object) = &a.object {
        let group = object.api_group.as_deref().unwrap_or("core");
        api.insert("service".into(), json!({ "name": group }));
        if let Some(v) = &object.api_version {
            api.insert("version".into(), Value::from(v.as_str()));
        }
        if let Some(resource) = resource(object) {
            e.other.insert("resources".into(), json!([resource]));
        }
    }
    if !api.is_empty() {
        e.other.insert("api".into(), Value::Object(api));
    }
}

/// An object reference as an OCSF resource: `type` is the resource (`pods/exec` with a
/// subresource).
fn resource(object: &ObjectRef) -> Option<Value> {
    let mut r = Map::new();
    let kind = match (&object.resource, &object.subresource) {
        (Some(res), Some(sub)) => Some(format!("{res}/{sub}")),
        (Some(res), None) => Some(res.clone()),
        (None, _) => None,
    };
    for (key, value) in [
        ("type", kind.as_ref()),
        ("name", object.name.as_ref()),
        ("namespace", object.namespace.as_ref()),
        ("uid", object.uid.as_ref()),
    ] {
        if let Some(v) = value {
            r.insert(key.into(), Value::from(v.as_str()));
        }
    }
    if object.name.is_none() && object.uid.is_none() {
        // A request on a collection (a list, a create) acts on the collection: it is the name.
        r.insert("name".into(), Value::from(kind?.as_str()));
    }
    Some(Value::Object(r))
}

/// For Authentication events, which have no `api` or `resources`: the verb and the object to
/// `unmapped` (GKE's method name is there already).
fn request_unmapped(e: &mut Event, a: &Audit) {
    if let Some(verb) = &a.verb {
        e.unmapped
            .insert("kubernetes.verb".into(), Value::from(verb.as_str()));
    }
    if let Some(o) = &a.object {
        let mut r = Map::new();
        for (key, value) in [
            ("resource", &o.resource),
            ("subresource", &o.subresource),
            ("namespace", &o.namespace),
            ("name", &o.name),
            ("uid", &o.uid),
            ("api_group", &o.api_group),
            ("api_version", &o.api_version),
        ] {
            if let Some(v) = value {
                r.insert(key.into(), Value::from(v.as_str()));
            }
        }
        if !r.is_empty() {
            e.unmapped
                .insert("kubernetes.object_ref".into(), Value::Object(r));
        }
    }
}

/// What OCSF has no slot for.
fn unmapped(e: &mut Event, a: Audit) {
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            e.unmapped.insert(key.into(), v);
        }
    };
    put("kubernetes.stage", a.stage.map(Value::from));
    put("kubernetes.level", a.level.map(Value::from));
    put(
        "kubernetes.issued_credential_id",
        a.issued_credential.map(Value::from),
    );
    put("kubernetes.token_review", a.token_review);
    put(
        "kubernetes.annotations",
        (!a.annotations.is_empty()).then_some(Value::Object(a.annotations)),
    );
    if let Some(id) = a.impersonated {
        if !id.extra.is_empty() {
            put(
                "kubernetes.impersonated_user_extra",
                Some(Value::Object(id.extra)),
            );
        }
        if id.groups_omitted > 0 {
            put(
                "kubernetes.impersonated_groups_omitted",
                Some(Value::from(id.groups_omitted)),
            );
        }
    }
    if let Some(id) = a.user.filter(|id| id.groups_omitted > 0) {
        put(
            "kubernetes.groups_omitted",
            Some(Value::from(id.groups_omitted)),
        );
    }
    for (key, value) in a.wrapper {
        put(key, Some(value));
    }
}

/// A `user`/`impersonatedUser` object.
fn identity(map: &Map<String, Value>, within: &str) -> Result<Identity, Unrecognized> {
    let (groups, groups_omitted) =
        strings(map.get("groups"), &format!("{within}groups"), MAX_GROUPS)?;
    let extra = match object(map, within, "extra")? {
        Some(extra) => extra.clone(),
        None => Map::new(),
    };
    Ok(Identity {
        name: text(map, within, "username")?,
        uid: text(map, within, "uid")?,
        groups,
        groups_omitted,
        extra,
    })
}

/// An `objectRef` object.
fn object_ref(map: &Map<String, Value>) -> Result<ObjectRef, Unrecognized> {
    const W: &str = "objectRef.";
    Ok(ObjectRef {
        resource: text(map, W, "resource")?,
        subresource: text(map, W, "subresource")?,
        namespace: text(map, W, "namespace")?,
        name: text(map, W, "name")?,
        uid: text(map, W, "uid")?,
        api_group: text(map, W, "apiGroup")?,
        api_version: text(map, W, "apiVersion")?,
    })
}

/// A string field (`within` + `key` names it in the reason for a wrong type); empty or null
/// is none.
fn text(map: &Map<String, Value>, within: &str, key: &str) -> Result<Option<String>, Unrecognized> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
        Some(other) => Err(bad(&format!("{within}{key}"), other, "a string")),
    }
}

/// An object field; null is none.
fn object<'a>(
    map: &'a Map<String, Value>,
    within: &str,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, Unrecognized> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(bad(&format!("{within}{key}"), other, "an object")),
    }
}

/// An integer field; null is none.
fn integer(map: &Map<String, Value>, within: &str, key: &str) -> Result<Option<i64>, Unrecognized> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(&format!("{within}{key}"), v, "an integer")),
    }
}

/// An array of strings (empty ones skipped), the first `max` kept, and how many more there
/// were; null or absent is empty.
fn strings(
    value: Option<&Value>,
    path: &str,
    max: usize,
) -> Result<(Vec<String>, usize), Unrecognized> {
    let items = match value {
        None | Some(Value::Null) => return Ok((Vec::new(), 0)),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(bad(path, other, "an array")),
    };
    let mut out = Vec::new();
    let mut omitted = 0;
    for item in items {
        match item {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) if out.len() < max => out.push(s.clone()),
            Value::String(_) => omitted += 1,
            other => return Err(bad(path, other, "an array of strings")),
        }
    }
    Ok((out, omitted))
}

/// An RFC 3339 time field (with up to nanoseconds; zone-less in the configured zone); null or
/// absent is none.
fn time(
    map: &Map<String, Value>,
    key: &str,
    ctx: &ParseContext,
) -> Result<Option<i64>, Unrecognized> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::String(_)) => json_fields::rfc3339_time(Some(v), key, ctx).map(Some),
        Some(other) => Err(bad(key, other, "an RFC 3339 time")),
    }
}

/// The reason for a field of the wrong type.
fn bad(path: &str, value: &Value, expected: &str) -> Unrecognized {
    let found = json_kind(value);
    Unrecognized::because(format!("bad {path}: {found}, not {expected}"))
}

#[cfg(test)]
mod tests {
    use authtrail_model::Event;
    use serde_json::json;

    use super::*;
    use crate::parse::test_support::{self, ctx, src};
    use authtrail_model::validate::UNKNOWN_NAME;

    /// The requester: `user`, or on API Activity (which has none) `actor.user`.
    fn user(e: &Event) -> Option<&str> {
        test_support::user(e).or_else(|| {
            e.actor
                .as_ref()?
                .pointer("/user/name")?
                .as_str()
                .filter(|n| *n != UNKNOWN_NAME)
        })
    }

    fn parsed(line: &str) -> Event {
        test_support::parsed(parse, line, &mut ctx())
    }

    /// A complete audit event (a `kubectl exec` by a service account), with `changes` merged
    /// over it (a `null` removes a key).
    fn record(changes: Value) -> String {
        let mut base = json!({
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": "a-1",
            "stage": "ResponseComplete",
            "requestURI": "/api/v1/namespaces/dev/pods/web-1/exec?command=sh&stdin=true",
            "verb": "create",
            "user": {
                "username": "system:serviceaccount:dev:deployer",
                "uid": "u-1",
                "groups": ["system:serviceaccounts", "system:authenticated"],
                "extra": {
                    "authentication.kubernetes.io/credential-id": ["JTI=jti-1"],
                    "authentication.kubernetes.io/pod-name": ["ci-7"],
                    "authentication.kubernetes.io/pod-uid": ["pod-uid-7"],
                    "example.org/team": ["blue"]
                }
            },
            "sourceIPs": ["203.0.113.9", "10.0.0.4"],
            "userAgent": "kubectl/v1.30.0",
            "objectRef": {
                "resource": "pods",
                "subresource": "exec",
                "namespace": "dev",
                "name": "web-1",
                "apiVersion": "v1"
            },
            "responseStatus": {"metadata": {}, "code": 101},
            "requestReceivedTimestamp": "2024-05-01T10:00:00.123456Z",
            "stageTimestamp": "2024-05-01T10:00:02.654321789Z",
            "annotations": {
                "authorization.k8s.io/decision": "allow",
                "authorization.k8s.io/reason": "RBAC: allowed by RoleBinding \"deployers/dev\"",
                "pod-security.kubernetes.io/enforce-policy": "restricted:latest"
            }
        });
        merge(&mut base, changes);
        base.to_string()
    }

    fn merge(base: &mut Value, changes: Value) {
        match (base, changes) {
            (Value::Object(b), Value::Object(c)) => {
                for (k, v) in c {
                    if v.is_null() {
                        b.remove(&k);
                    } else if v.is_object() && b.get(&k).is_some_and(Value::is_object) {
                        merge(b.get_mut(&k).unwrap(), v);
                    } else {
                        b.insert(k, v);
                    }
                }
            }
            (b, c) => *b = c,
        }
    }

    fn outcome(e: &Event) -> (u32, i32, i32) {
        (e.class_uid, e.activity_id, e.status_id)
    }

    /// The token id: on the session, or on API Activity the actor's session.
    fn credential(e: &Event) -> Option<&str> {
        match e.session.as_ref() {
            Some(s) => s.extra.get("credential_uid")?.as_str(),
            None => e
                .actor
                .as_ref()?
                .pointer("/session/credential_uid")?
                .as_str(),
        }
    }

    #[test]
    fn requests_are_api_activity_with_everything_mapped() {
        let e = parsed(&record(json!({})));
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, SUCCESS));
        assert_eq!(e.type_name.as_deref(), Some("API Activity: Create"));
        assert_eq!(e.time, 1_714_557_602_654);
        assert_eq!(e.other["start_time"], 1_714_557_600_123_i64);
        assert_eq!(e.metadata.uid.as_deref(), Some("a-1"));
        assert_eq!(e.status_code.as_deref(), Some("101"));
        assert_eq!(e.status_detail, None);
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor["user"]["name"], "system:serviceaccount:dev:deployer");
        assert_eq!(actor["user"]["uid"], "u-1");
        assert_eq!(actor["user"]["groups"][0]["name"], "system:serviceaccounts");
        assert_eq!(actor["user"]["groups"][1]["name"], "system:authenticated");
        assert_eq!(actor["user"]["type_id"], 4);
        assert_eq!(actor["user"]["type"], "Service");
        assert_eq!(actor["authorizations"][0]["decision"], "allow");
        assert_eq!(
            actor["authorizations"][0]["policy"]["desc"],
            "RBAC: allowed by RoleBinding \"deployers/dev\""
        );
        // API Activity has no `user`: the requester is the actor's.
        assert_eq!(user(&e), Some("system:serviceaccount:dev:deployer"));
        assert_eq!(e.user, None);
        let api = &e.other["api"];
        assert_eq!(api["operation"], "create");
        assert_eq!(api["request"]["uid"], "a-1");
        assert_eq!(api["response"]["code"], 101);
        assert_eq!(api["service"]["name"], "core");
        assert_eq!(api["version"], "v1");
        assert_eq!(
            e.other["resources"],
            json!([{"type": "pods/exec", "name": "web-1", "namespace": "dev"}])
        );
        assert_eq!(src(&e), Some("203.0.113.9"));
        assert_eq!(e.unmapped["kubernetes.source_ips"], json!(["10.0.0.4"]));
        let http = e.http_request.as_ref().unwrap();
        assert_eq!(http.user_agent.as_deref(), Some("kubectl/v1.30.0"));
        assert_eq!(
            http.extra["url"],
            json!({"path": "/api/v1/namespaces/dev/pods/web-1/exec", "query_string": "command=sh&stdin=true"})
        );
        assert_eq!(credential(&e), Some("jti-1"));
        assert_eq!(e.unmapped["kubernetes.pod_name"], "ci-7");
        assert_eq!(e.unmapped["kubernetes.pod_uid"], "pod-uid-7");
        assert_eq!(
            e.unmapped["kubernetes.user_extra"],
            json!({"example.org/team": ["blue"]})
        );
        assert_eq!(
            e.unmapped["kubernetes.annotations"],
            json!({"pod-security.kubernetes.io/enforce-policy": "restricted:latest"})
        );
        assert_eq!(e.unmapped["kubernetes.stage"], "ResponseComplete");
        assert_eq!(e.unmapped["kubernetes.level"], "Metadata");
        assert!(!e.unmapped.contains_key("kubernetes.anonymous"));
        assert!(e.service.is_none());
        let product = e.metadata.product.as_ref().unwrap();
        assert_eq!(product.name.as_deref(), Some("kube-apiserver"));
        assert_eq!(product.vendor_name.as_deref(), Some("Kubernetes"));
    }

    #[test]
    fn verbs_are_activities_and_codes_the_status() {
        for (verb, activity) in [
            ("create", API_CREATE),
            ("get", API_READ),
            ("list", API_READ),
            ("watch", API_READ),
            ("update", API_UPDATE),
            ("patch", API_UPDATE),
            ("delete", API_DELETE),
            ("deletecollection", API_DELETE),
            ("post", API_CREATE),
            ("put", API_UPDATE),
            ("head", API_READ),
            ("proxy", OTHER),
            ("propfind", OTHER),
        ] {
            let e = parsed(&record(json!({"verb": verb})));
            assert_eq!(e.activity_id, activity, "{verb}");
            assert_eq!(e.other["api"]["operation"], verb);
        }
        let e = parsed(&record(json!({"verb": null})));
        assert_eq!(e.activity_id, ACTIVITY_UNKNOWN);
        assert_eq!(e.other["api"]["operation"], "unknown");

        for (code, status) in [
            (200, SUCCESS),
            (201, SUCCESS),
            (302, SUCCESS),
            (404, FAILURE),
            (409, FAILURE),
            (500, FAILURE),
        ] {
            let e = parsed(&record(json!({"responseStatus": {"code": code}})));
            assert_eq!(e.status_id, status, "{code}");
            assert_eq!(e.status_code, Some(code.to_string()));
        }
        let e = parsed(&record(json!({"responseStatus": {
            "code": 403, "status": "Failure", "reason": "Forbidden",
            "message": "pods \"web-1\" is forbidden: User cannot create resource"
        }, "annotations": {"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}})));
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, FAILURE));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("pods \"web-1\" is forbidden: User cannot create resource")
        );
        assert_eq!(e.other["api"]["response"]["error"], "Forbidden");
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor["authorizations"], json!([{"decision": "forbid"}]));
        // No response: a forbidding decision is a failure, else the outcome is unknown.
        let e = parsed(&record(json!({"responseStatus": null})));
        assert_eq!(e.status_id, STATUS_UNKNOWN);
        for nonsense in [0, -1, 99] {
            let e = parsed(&record(json!({"responseStatus": {"code": nonsense}})));
            assert_eq!(e.status_id, STATUS_UNKNOWN, "{nonsense}");
        }
        assert!(e.status_code.is_none());
        let e = parsed(&record(
            json!({"responseStatus": null, "annotations": {"authorization.k8s.io/decision": "forbid"}}),
        ));
        assert_eq!(e.status_id, FAILURE);
        // A panic is the outcome too.
        let e = parsed(&record(
            json!({"stage": "Panic", "responseStatus": {"code": 500, "message": "APIServer panic'd"}}),
        ));
        assert_eq!(e.status_id, FAILURE);
        assert_eq!(e.unmapped["kubernetes.stage"], "Panic");
    }

    #[test]
    fn api_groups_and_cluster_scoped_resources() {
        let e = parsed(&record(json!({
            "verb": "get",
            "requestURI": "/apis/apps/v1/namespaces/dev/deployments/web",
            "objectRef": {"resource": "deployments", "subresource": null, "apiGroup": "apps", "name": "web", "uid": "obj-1"},
            "responseStatus": {"code": 200}
        })));
        assert_eq!(e.other["api"]["service"]["name"], "apps");
        assert_eq!(
            e.other["resources"],
            json!([{"type": "deployments", "name": "web", "namespace": "dev", "uid": "obj-1"}])
        );
        assert_eq!(
            e.http_request.as_ref().unwrap().extra["url"],
            json!({"path": "/apis/apps/v1/namespaces/dev/deployments/web"})
        );
        // A non-resource request has no resource nor service.
        let e = parsed(&record(
            json!({"verb": "get", "requestURI": "/version", "objectRef": null, "responseStatus": {"code": 200}}),
        ));
        assert!(!e.other.contains_key("resources"));
        assert!(e.other["api"].get("service").is_none());
        // Node and control-plane identities are System users.
        let e = parsed(&record(
            json!({"user": {"username": "system:node:ip-10-0-0-1", "extra": null}}),
        ));
        assert_eq!(e.actor.as_ref().unwrap()["user"]["type"], "System");
        let e = parsed(&record(
            json!({"user": {"username": "alice@example.com", "extra": null, "groups": null}}),
        ));
        let u = &e.actor.as_ref().unwrap()["user"];
        assert!(u.get("type_id").is_none() && u.get("groups").is_none());
        assert!(e.session.is_none());
    }

    #[test]
    fn unauthorized_requests_are_failed_logons() {
        let e = parsed(&record(json!({
            "verb": "get", "user": null, "objectRef": null, "annotations": null,
            "requestURI": "/api/v1/namespaces/kube-system/secrets",
            "responseStatus": {"code": 401, "status": "Failure", "reason": "Unauthorized", "message": "Unauthorized"}
        })));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
        assert_eq!(e.type_name.as_deref(), Some("Authentication: Logon"));
        assert_eq!(e.status_code.as_deref(), Some("401"));
        assert_eq!(e.status_detail.as_deref(), Some("Unauthorized"));
        assert_eq!(user(&e), None);
        assert!(e.actor.is_none());
        assert_eq!(src(&e), Some("203.0.113.9"));
        assert_eq!(e.metadata.uid.as_deref(), Some("a-1"));
        assert_eq!(e.unmapped["kubernetes.verb"], "get");
        assert_eq!(
            e.service.as_ref().and_then(|s| s.name.as_deref()),
            Some("kube-apiserver")
        );
        assert!(!e.other.contains_key("api"));
        // Reason only, and an anonymous user named.
        let e = parsed(&record(json!({
            "user": {"username": "system:anonymous", "groups": ["system:unauthenticated"], "uid": null, "extra": null},
            "responseStatus": {"code": 401, "reason": "Unauthorized"}
        })));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
        assert_eq!(user(&e), Some("system:anonymous"));
        assert_eq!(e.status_detail.as_deref(), Some("Unauthorized"));
        assert_eq!(e.unmapped["kubernetes.anonymous"], true);
    }

    #[test]
    fn anonymous_requests_are_logons() {
        let anonymous = json!({"username": "system:anonymous", "groups": ["system:unauthenticated"], "uid": null, "extra": null});
        let e = parsed(&record(json!({
            "verb": "get", "user": anonymous, "responseStatus": {"code": 200},
            "requestURI": "/api/v1/namespaces/dev/pods/web-1",
            "objectRef": {"subresource": null}
        })));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
        assert_eq!(user(&e), Some("system:anonymous"));
        assert_eq!(
            e.user.as_ref().unwrap().extra["groups"],
            json!([{"name": "system:unauthenticated"}])
        );
        assert_eq!(e.unmapped["kubernetes.anonymous"], true);
        assert_eq!(e.unmapped["kubernetes.verb"], "get");
        assert_eq!(
            e.unmapped["kubernetes.object_ref"],
            json!({"resource": "pods", "namespace": "dev", "name": "web-1", "api_version": "v1"})
        );
        assert_eq!(
            e.actor.as_ref().unwrap()["authorizations"][0]["decision"],
            "allow"
        );
        assert_eq!(src(&e), Some("203.0.113.9"));

        // Forbidden: a failure, by the decision or the code.
        let e = parsed(&record(
            json!({"user": anonymous, "responseStatus": {"code": 403, "message": "forbidden"}, "annotations": {"authorization.k8s.io/decision": "forbid"}}),
        ));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
        assert_eq!(e.status_detail.as_deref(), Some("forbidden"));
        let e = parsed(&record(
            json!({"user": anonymous, "responseStatus": {"code": 403}, "annotations": null}),
        ));
        assert_eq!(e.status_id, FAILURE);
        // Let in, then not found: the anonymous request reached the API.
        let e = parsed(&record(
            json!({"user": anonymous, "responseStatus": {"code": 404}}),
        ));
        assert_eq!(e.status_id, SUCCESS);
        let e = parsed(&record(
            json!({"user": anonymous, "responseStatus": {"code": 404}, "annotations": null}),
        ));
        assert_eq!(e.status_id, FAILURE);
        let e = parsed(&record(
            json!({"user": anonymous, "responseStatus": null, "annotations": null}),
        ));
        assert_eq!(e.status_id, STATUS_UNKNOWN);
        // The group alone says it, as does the name alone.
        let e = parsed(&record(
            json!({"user": {"username": "x", "groups": ["system:unauthenticated"], "extra": null}, "responseStatus": {"code": 200}}),
        ));
        assert_eq!((e.class_uid, e.status_id), (AUTHENTICATION, SUCCESS));
        let e = parsed(&record(
            json!({"user": {"username": "system:anonymous", "groups": null, "extra": null}}),
        ));
        assert_eq!(e.class_uid, AUTHENTICATION);
    }

    #[test]
    fn impersonation_is_an_account_switch() {
        let line = record(json!({
            "verb": "get",
            "impersonatedUser": {"username": "bob", "groups": ["devs"], "extra": {"scopes": ["view"]}},
            "responseStatus": {"code": 200}
        }));
        let e = parsed(&line);
        assert_eq!(outcome(&e), (AUTHENTICATION, ACCOUNT_SWITCH, SUCCESS));
        assert_eq!(e.activity_name.as_deref(), Some("Account Switch"));
        assert_eq!(user(&e), Some("bob"));
        assert_eq!(
            e.user.as_ref().unwrap().extra["groups"],
            json!([{"name": "devs"}])
        );
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor["user"]["name"], "system:serviceaccount:dev:deployer");
        assert_eq!(actor["authorizations"][0]["decision"], "allow");
        // The credential presented is the real user's.
        assert_eq!(credential(&e), Some("jti-1"));
        assert_eq!(
            e.unmapped["kubernetes.impersonated_user_extra"],
            json!({"scopes": ["view"]})
        );
        assert_eq!(e.unmapped["kubernetes.verb"], "get");
        assert!(!e.unmapped.contains_key("kubernetes.anonymous"));
        let e = parsed(&record(
            json!({"impersonatedUser": {"username": "bob"}, "responseStatus": {"code": 403}}),
        ));
        assert_eq!(outcome(&e), (AUTHENTICATION, ACCOUNT_SWITCH, FAILURE));
        // A 401 is a failed logon whatever else the event says.
        let e = parsed(&record(
            json!({"impersonatedUser": {"username": "bob"}, "responseStatus": {"code": 401}}),
        ));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
    }

    #[test]
    fn token_reviews_stay_api_activity_with_their_outcome() {
        let e = parsed(&record(json!({
            "level": "RequestResponse",
            "verb": "create",
            "requestURI": "/apis/authentication.k8s.io/v1/tokenreviews",
            "objectRef": {"resource": "tokenreviews", "subresource": null, "namespace": null, "name": null, "apiGroup": "authentication.k8s.io"},
            "requestObject": {"kind": "TokenReview", "spec": {"token": "SECRET-TOKEN"}},
            "responseObject": {"kind": "TokenReview", "status": {"authenticated": true, "user": {"username": "system:serviceaccount:dev:app"}, "audiences": ["api"]}},
            "responseStatus": {"code": 201}
        })));
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, SUCCESS));
        assert_eq!(e.other["api"]["service"]["name"], "authentication.k8s.io");
        assert_eq!(
            e.other["resources"],
            json!([{"type": "tokenreviews", "name": "tokenreviews"}])
        );
        assert_eq!(
            e.unmapped["kubernetes.token_review"],
            json!({"authenticated": true, "user": "system:serviceaccount:dev:app"})
        );
        let json = String::from_utf8(e.canonical_bytes()).unwrap();
        assert!(!json.contains("SECRET"), "{json}");
        let e = parsed(&record(json!({
            "objectRef": {"resource": "tokenreviews", "apiGroup": "authentication.k8s.io"},
            "responseObject": {"status": {"authenticated": false, "error": "token expired"}}
        })));
        assert_eq!(
            e.unmapped["kubernetes.token_review"],
            json!({"authenticated": false, "error": "token expired"})
        );
    }

    #[test]
    fn credentials_and_issued_tokens() {
        // EKS: the AWS access key id behind the IAM identity, Panther's rewritten extra keys.
        let e = parsed(&record(
            json!({"user": {"username": "kubernetes-admin", "extra": {
                "authentication.kubernetes.io/credential-id": null,
                "authentication.kubernetes.io/pod-name": null,
                "authentication.kubernetes.io/pod-uid": null,
                "example.org/team": null,
                "accessKeyId": ["ASIAEXAMPLE"],
                "arn": ["arn:aws:sts::1:assumed-role/Dev/s"],
                "authentication_kubernetes_io_slash_pod-name": ["coredns-1"]
            }}}),
        ));
        assert_eq!(credential(&e), Some("ASIAEXAMPLE"));
        assert_eq!(e.unmapped["kubernetes.pod_name"], "coredns-1");
        assert_eq!(
            e.unmapped["kubernetes.user_extra"],
            json!({"arn": ["arn:aws:sts::1:assumed-role/Dev/s"]})
        );
        // Other credential ids are kept whole; a bound node is unmapped.
        let e = parsed(&record(json!({"user": {"extra": {
            "authentication.kubernetes.io/credential-id": ["X509SHA256=ab12"],
            "authentication.kubernetes.io/node-name": ["node-1"]
        }}})));
        assert_eq!(credential(&e), Some("X509SHA256=ab12"));
        assert_eq!(e.unmapped["kubernetes.node_name"], "node-1");
        // A token issued by the request.
        let e = parsed(&record(json!({
            "requestURI": "/api/v1/namespaces/kube-system/serviceaccounts/kube-proxy/token",
            "objectRef": {"resource": "serviceaccounts", "subresource": "token", "namespace": "kube-system", "name": "kube-proxy"},
            "responseStatus": {"code": 201},
            "annotations": {"authentication.kubernetes.io/issued-credential-id": "JTI=jti-2"}
        })));
        assert_eq!(e.unmapped["kubernetes.issued_credential_id"], "jti-2");
        assert_eq!(e.other["resources"][0]["type"], "serviceaccounts/token");
        assert!(e.unmapped["kubernetes.annotations"]
            .get(ISSUED_CREDENTIAL)
            .is_none());
    }

    #[test]
    fn only_complete_stages_are_events() {
        for stage in ["RequestReceived", "ResponseStarted"] {
            let line = record(json!({"stage": stage}));
            let why = parse(&line, &mut ctx()).unwrap_err();
            assert_eq!(
                why.0,
                format!("stage {stage}: the request's outcome is in its ResponseComplete event")
            );
        }
        // Without a stage (trimmed exports), the event is taken as complete.
        let e = parsed(&record(json!({"stage": null})));
        assert_eq!(e.class_uid, API_ACTIVITY);
        assert!(!e.unmapped.contains_key("kubernetes.stage"));
    }

    #[test]
    fn times_have_any_precision_and_fall_back() {
        let e = parsed(&record(json!({"stageTimestamp": null})));
        assert_eq!(e.time, 1_714_557_600_123);
        assert!(!e.other.contains_key("start_time"));
        let e = parsed(&record(
            json!({"stageTimestamp": null, "requestReceivedTimestamp": null}),
        ));
        assert_eq!(e.time, test_support::RECEIVED_MS);
        // Panther's zone-less times, in the configured zone (UTC by default).
        let e = parsed(&record(
            json!({"stageTimestamp": "2025-08-26 17:40:49.330617000", "requestReceivedTimestamp": "2022-11-29 00:09:04.38"}),
        ));
        assert_eq!(e.time, 1_756_230_049_330);
        assert_eq!(e.other["start_time"], 1_669_680_544_380_i64);
        let e = parsed(&record(
            json!({"stageTimestamp": "2024-05-01T12:00:00+02:00"}),
        ));
        assert_eq!(e.time, 1_714_557_600_000);
    }

    #[test]
    fn source_ips_skip_what_is_not_an_address_and_are_bounded() {
        let e = parsed(&record(
            json!({"sourceIPs": ["not-an-ip", "2001:DB8::5", "10.0.0.1"]}),
        ));
        assert_eq!(src(&e), Some("2001:db8::5"));
        assert_eq!(
            e.unmapped["kubernetes.source_ips"],
            json!(["not-an-ip", "10.0.0.1"])
        );
        let e = parsed(&record(json!({"sourceIPs": ["unknown"]})));
        assert_eq!(src(&e), None);
        assert_eq!(e.unmapped["kubernetes.source_ips"], json!(["unknown"]));
        let e = parsed(&record(json!({"sourceIPs": []})));
        assert_eq!(src(&e), None);
        assert!(!e.unmapped.contains_key("kubernetes.source_ips"));

        let many: Vec<String> = (0..10_000)
            .map(|i| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256))
            .collect();
        let groups: Vec<String> = (0..1_000).map(|i| format!("g{i}")).collect();
        let e = parsed(&record(
            json!({"sourceIPs": many, "user": {"groups": groups}}),
        ));
        assert_eq!(src(&e), Some("10.0.0.0"));
        assert_eq!(
            e.unmapped["kubernetes.source_ips"]
                .as_array()
                .unwrap()
                .len(),
            MAX_SOURCE_IPS - 1
        );
        assert_eq!(
            e.unmapped["kubernetes.source_ips_omitted"],
            10_000 - MAX_SOURCE_IPS
        );
        let u = &e.actor.as_ref().unwrap()["user"];
        assert_eq!(u["groups"].as_array().unwrap().len(), MAX_GROUPS);
        assert_eq!(e.unmapped["kubernetes.groups_omitted"], 1_000 - MAX_GROUPS);
    }

    #[test]
    fn aks_records_are_unwrapped() {
        let inner = record(json!({"stageTimestamp": null, "requestReceivedTimestamp": null}));
        let line = json!({
            "category": "kube-audit",
            "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
            "resourceId": "/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1",
            "time": "2024-05-01T10:00:05.000Z",
            "properties": {"log": inner, "stream": "stdout", "pod": "kube-apiserver-1"}
        })
        .to_string();
        let e = parsed(&line);
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, SUCCESS));
        assert_eq!(user(&e), Some("system:serviceaccount:dev:deployer"));
        assert_eq!(e.time, 1_714_557_605_000);
        assert_eq!(e.other["cloud"], json!({"provider": "Azure"}));
        assert_eq!(
            e.unmapped["kubernetes.azure_resource_id"],
            "/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1"
        );
        assert!(looks_like(&line));
        // The event's own time wins; the log may be an object.
        let inner: Value = serde_json::from_str(&record(json!({}))).unwrap();
        let e = parsed(&json!({"category": "kube-audit-admin", "time": "2030-01-01T00:00:00Z", "properties": {"log": inner}}).to_string());
        assert_eq!(e.time, 1_714_557_602_654);

        let cases = [
            (
                json!({"category": "kube-apiserver", "properties": {"log": "{}"}}),
                "category \"kube-apiserver\" is not kube-audit",
            ),
            (
                json!({"category": "kube-audit", "properties": {"log": "{\"kind\""}}),
                "invalid JSON in properties.log",
            ),
            (
                json!({"category": "kube-audit", "properties": {"log": 5}}),
                "bad properties.log: a number, not a string",
            ),
            (
                json!({"category": "kube-audit", "properties": {}}),
                "without properties.log",
            ),
            (
                json!({"category": "kube-audit", "properties": {"log": "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"stage\":\"ResponseStarted\"}"}}),
                "stage ResponseStarted",
            ),
        ];
        for (line, why) in cases {
            let line = line.to_string();
            let u = parse(&line, &mut ctx()).unwrap_err();
            assert!(u.0.contains(why), "{line}: {u}");
        }
    }

    /// A GKE Cloud Audit Logs entry with `payload` merged over a typical `protoPayload`.
    fn gke_entry(payload: Value, entry: Value) -> String {
        let mut base = json!({
            "insertId": "ins-1",
            "logName": "projects/p-1/logs/cloudaudit.googleapis.com%2Fdata_access",
            "operation": {"id": "op-1", "producer": "k8s.io", "first": true, "last": true},
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "authenticationInfo": {"principalEmail": "dev@example.com"},
                "authorizationInfo": [{"granted": true, "permission": "io.k8s.core.v1.pods.exec.create", "resource": "core/v1/namespaces/dev/pods/web-1/exec"}],
                "methodName": "io.k8s.core.v1.pods.exec.create",
                "requestMetadata": {"callerIp": "198.51.100.4", "callerSuppliedUserAgent": "kubectl/v1.29.0"},
                "resourceName": "core/v1/namespaces/dev/pods/web-1/exec",
                "serviceName": "k8s.io",
                "status": {}
            },
            "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "c1", "location": "europe-west1", "project_id": "p-1"}},
            "timestamp": "2024-05-01T10:00:00.500123Z"
        });
        merge(&mut base, json!({"protoPayload": payload}));
        merge(&mut base, entry);
        base.to_string()
    }

    #[test]
    fn gke_entries_are_unwrapped() {
        let line = gke_entry(json!({}), json!({}));
        assert!(looks_like(&line));
        let e = parsed(&line);
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, SUCCESS));
        assert_eq!(user(&e), Some("dev@example.com"));
        assert_eq!(src(&e), Some("198.51.100.4"));
        assert_eq!(e.time, 1_714_557_600_500);
        assert_eq!(e.metadata.uid.as_deref(), Some("op-1"));
        assert_eq!(e.status_code.as_deref(), Some("0"));
        assert_eq!(
            e.http_request.as_ref().unwrap().user_agent.as_deref(),
            Some("kubectl/v1.29.0")
        );
        assert_eq!(e.other["api"]["operation"], "create");
        assert_eq!(e.other["api"]["service"]["name"], "core");
        assert_eq!(e.other["api"]["version"], "v1");
        assert_eq!(
            e.other["resources"],
            json!([{"type": "pods/exec", "name": "web-1", "namespace": "dev"}])
        );
        assert_eq!(
            e.actor.as_ref().unwrap()["authorizations"][0]["decision"],
            "allow"
        );
        assert_eq!(
            e.other["cloud"],
            json!({"provider": "GCP", "project_uid": "p-1", "region": "europe-west1"})
        );
        assert_eq!(e.unmapped["kubernetes.cluster"], "c1");
        assert_eq!(
            e.unmapped["kubernetes.method_name"],
            "io.k8s.core.v1.pods.exec.create"
        );

        // gRPC codes: 7 is 403, 16 is 401.
        let e = parsed(&gke_entry(
            json!({"status": {"code": 7, "message": "Forbidden"}, "authorizationInfo": [{"permission": "p"}]}),
            json!({}),
        ));
        assert_eq!(outcome(&e), (API_ACTIVITY, API_CREATE, FAILURE));
        assert_eq!(e.status_code.as_deref(), Some("7"));
        assert_eq!(e.status_detail.as_deref(), Some("Forbidden"));
        assert_eq!(
            e.actor.as_ref().unwrap()["authorizations"][0]["decision"],
            "forbid"
        );
        let e = parsed(&gke_entry(json!({"status": {"code": 16}}), json!({})));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, FAILURE));
        // Anonymous, as principalEmail or (Panther) authoritySelector; labels carry the decision.
        let e = parsed(&gke_entry(
            json!({"authenticationInfo": {"principalEmail": null, "authoritySelector": "system:anonymous"}, "methodName": "io.k8s.core.v1.pods.get", "resourceName": "core/v1/namespaces/dev/pods/web-1"}),
            json!({"labels": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed"}}),
        ));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
        assert_eq!(user(&e), Some("system:anonymous"));
        assert_eq!(e.unmapped["kubernetes.anonymous"], true);
        assert_eq!(e.unmapped["kubernetes.verb"], "get");
        assert_eq!(
            e.actor.as_ref().unwrap()["authorizations"][0]["policy"]["desc"],
            "RBAC: allowed"
        );
        // A non-resource path, a method without a verb, a caller that is not an address.
        let e = parsed(&gke_entry(
            json!({"methodName": "io.k8s.readyz", "resourceName": "/readyz", "requestMetadata": {"callerIp": "gce-internal-ip"}, "authorizationInfo": null}),
            json!({"operation": null, "resource": null, "timestamp": null}),
        ));
        assert_eq!(outcome(&e), (API_ACTIVITY, ACTIVITY_UNKNOWN, SUCCESS));
        assert_eq!(e.other["api"]["operation"], "io.k8s.readyz");
        assert_eq!(
            e.http_request.as_ref().unwrap().extra["url"]["path"],
            "/readyz"
        );
        assert_eq!(
            e.unmapped["kubernetes.source_ips"],
            json!(["gce-internal-ip"])
        );
        assert_eq!(e.metadata.uid.as_deref(), Some("ins-1"));
        assert_eq!(e.other["cloud"], json!({"provider": "GCP"}));
        assert_eq!(e.time, test_support::RECEIVED_MS);
        // Anonymous: a method that ends in no verb is not one.
        let e = parsed(&gke_entry(
            json!({"authenticationInfo": {"principalEmail": "system:anonymous"}, "methodName": "io.k8s.readyz", "resourceName": "/readyz"}),
            json!({}),
        ));
        assert_eq!(outcome(&e), (AUTHENTICATION, LOGON, SUCCESS));
        assert!(!e.unmapped.contains_key("kubernetes.verb"));
        assert_eq!(e.unmapped["kubernetes.method_name"], "io.k8s.readyz");
        // Cluster-scoped and grouped resources.
        let e = parsed(&gke_entry(
            json!({"methodName": "io.k8s.apps.v1.deployments.list", "resourceName": "apps/v1/namespaces/dev/deployments"}),
            json!({}),
        ));
        assert_eq!(
            e.other["resources"],
            json!([{"type": "deployments", "namespace": "dev", "name": "deployments"}])
        );
        assert_eq!(e.other["api"]["service"]["name"], "apps");
        let e = parsed(&gke_entry(
            json!({"methodName": "io.k8s.core.v1.nodes.get", "resourceName": "core/v1/nodes/n-1"}),
            json!({}),
        ));
        assert_eq!(
            e.other["resources"],
            json!([{"type": "nodes", "name": "n-1"}])
        );

        let cases = [
            (
                gke_entry(
                    json!({}),
                    json!({"operation": {"first": true, "last": null}}),
                ),
                "stage ResponseStarted",
            ),
            (
                gke_entry(
                    json!({"serviceName": "container.googleapis.com"}),
                    json!({}),
                ),
                "service \"container.googleapis.com\" is not a Kubernetes audit event",
            ),
            (
                gke_entry(json!({"status": {"code": "7"}}), json!({})),
                "bad protoPayload.status.code: a string, not an integer",
            ),
            (
                gke_entry(json!({}), json!({"timestamp": "yesterday"})),
                "bad timestamp \"yesterday\"",
            ),
            (
                json!({"protoPayload": "x"}).to_string(),
                "bad protoPayload: a string, not an object",
            ),
        ];
        for (line, why) in cases {
            let u = parse(&line, &mut ctx()).unwrap_err();
            assert!(u.0.contains(why), "{line}: {u}");
        }
    }

    #[test]
    fn other_records_are_unrecognized_with_a_reason() {
        let cases = [
            ("[1]", "not an object"),
            ("\"x\"", "not an object"),
            ("{\"kind\":\"Event\"", "invalid JSON"),
            ("{}", "not a Kubernetes audit event"),
            (
                r#"{"foo": 1, "kind": "Event"}"#,
                "not a Kubernetes audit event",
            ),
            (
                r#"{"kind":"Event","apiVersion":"v1","involvedObject":{"kind":"Pod","name":"web-1"},"reason":"Scheduled","message":"assigned"}"#,
                "apiVersion \"v1\" is not audit.k8s.io",
            ),
            (
                r#"{"kind":"Event","apiVersion":"events.k8s.io/v1","reason":"Pulled"}"#,
                "apiVersion \"events.k8s.io/v1\" is not audit.k8s.io",
            ),
            (
                r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}"#,
                "an audit EventList",
            ),
            (
                r#"{"kind":"Policy","apiVersion":"audit.k8s.io/v1"}"#,
                "kind \"Policy\" is not an audit Event",
            ),
            (
                r#"{"apiVersion": 1}"#,
                "bad apiVersion: a number, not a string",
            ),
        ];
        test_support::assert_unrecognized(parse, ctx, cases);
        let typed = [
            (json!({"stage": "Done"}), "unknown audit stage \"Done\""),
            (json!({"verb": 5}), "bad verb: a number, not a string"),
            (
                json!({"auditID": ["a"]}),
                "bad auditID: an array, not a string",
            ),
            (
                json!({"requestURI": {}}),
                "bad requestURI: an object, not a string",
            ),
            (
                json!({"user": "alice"}),
                "bad user: a string, not an object",
            ),
            (
                json!({"user": {"username": 1}}),
                "bad user.username: a number, not a string",
            ),
            (
                json!({"user": {"groups": "g"}}),
                "bad user.groups: a string, not an array",
            ),
            (
                json!({"user": {"extra": []}}),
                "bad user.extra: an array, not an object",
            ),
            (
                json!({"impersonatedUser": {"groups": [1]}}),
                "bad impersonatedUser.groups: a number, not an array of strings",
            ),
            (
                json!({"sourceIPs": "1.2.3.4"}),
                "bad sourceIPs: a string, not an array",
            ),
            (
                json!({"sourceIPs": [1]}),
                "bad sourceIPs: a number, not an array of strings",
            ),
            (
                json!({"objectRef": []}),
                "bad objectRef: an array, not an object",
            ),
            (
                json!({"objectRef": {"namespace": true}}),
                "bad objectRef.namespace: a boolean, not a string",
            ),
            (
                json!({"responseStatus": {"code": "200"}}),
                "bad responseStatus.code: a string, not an integer",
            ),
            (
                json!({"responseStatus": {"code": 200.5}}),
                "bad responseStatus.code: a number, not an integer",
            ),
            (
                json!({"responseStatus": 200}),
                "bad responseStatus: a number, not an object",
            ),
            (
                json!({"annotations": "x"}),
                "bad annotations: a string, not an object",
            ),
            (
                json!({"stageTimestamp": "soon"}),
                "bad stageTimestamp \"soon\"",
            ),
            (
                json!({"stageTimestamp": 1714557600}),
                "bad stageTimestamp: a number, not an RFC 3339 time",
            ),
            (
                json!({"requestReceivedTimestamp": "2024-13-01T00:00:00Z"}),
                "bad requestReceivedTimestamp",
            ),
        ];
        for (changes, why) in typed {
            let line = record(changes);
            let u = parse(&line, &mut ctx()).unwrap_err();
            assert!(u.0.contains(why), "{line}: {u}");
        }
    }

    #[test]
    fn looks_like_audit_events_only() {
        assert!(looks_like(&record(json!({}))));
        for line in [
            r#"{"auditID":"a","stage":"ResponseComplete","requestURI":"/"}"#,
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1"}"#,
            r#"{"kind": "Event", "verb": "get", "sourceIPs": ["1.2.3.4"]}"#,
            r#"{"kind": "Event", "verb": "create", "objectRef": {"resource": "pods"}}"#,
            r#"{"category": "kube-audit", "properties": {"log": "{}"}}"#,
            r#"{"protoPayload": {"serviceName": "k8s.io"}}"#,
            r#"{"protoPayload": {"methodName": "io.k8s.core.v1.pods.get"}}"#,
        ] {
            assert!(looks_like(line), "{line}");
        }
        for other in [
            r#"{"kind":"Event","apiVersion":"v1","involvedObject":{"kind":"Pod"},"reason":"Scheduled"}"#,
            r#"{"eventType":"user.session.start","published":"2024-01-01T00:00:00Z"}"#,
            r#"{"eventVersion":"1.08","eventSource":"eks.amazonaws.com","eventName":"DescribeCluster","awsRegion":"us-east-1"}"#,
            r#"{"protoPayload": {"serviceName": "storage.googleapis.com", "methodName": "storage.objects.get"}}"#,
            r#"{"category": "SignInLogs", "properties": {"userPrincipalName": "a@b"}}"#,
            r#"{"remote_addr":"1.2.3.4","request_uri":"/","status":"401"}"#,
            "Jan  1 00:00:00 host sshd[1]: Accepted password for x",
        ] {
            assert!(!looks_like(other), "{other}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn arbitrary_text_never_panics(
            s in "\\PC{0,160}",
            t in r#"\{"apiVersion": "audit\.k8s\.io/v1", "stage": "(ResponseComplete|Panic|ResponseStarted|x)", "verb": "[a-z]{0,6}", "user": \{"username": "(system:anonymous|alice|)", "groups": \["[a-z:]{0,20}"\], "extra": \{"authentication\.kubernetes\.io/credential-id": \["[A-Z=a-z0-9]{0,8}"\]\}\}, "impersonatedUser": (null|\{"username": "b"\}), "sourceIPs": \["[0-9a-f.:]{0,12}"\], "responseStatus": \{"code": -?[0-9]{0,4}\}, "stageTimestamp": "[0-9T:. Z-]{0,30}", "objectRef": \{"resource": "[a-z]{0,5}", "subresource": "[a-z]{0,3}"\}\}"#,
            g in r#"\{"protoPayload": \{"serviceName": "k8s\.io", "methodName": "[a-z.]{0,20}", "resourceName": "[a-z/]{0,30}", "status": \{"code": [0-9]{0,2}\}, "authorizationInfo": \[\{"granted": (true|false|1)\}\]\}, "operation": \{"first": (true|false), "last": (true|false)\}\}"#,
        ) {
            test_support::parse_never_panics(parse, ctx, [s.as_str(), t.as_str(), g.as_str()]);
        }
    }
}
