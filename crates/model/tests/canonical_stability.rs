//! Pins the canonical bytes of varied events to golden strings, so that changes to parsing or
//! encoding cannot change what the log stores and hashes. The golden strings were produced by the
//! model before its hand-written deserializers; never regenerate them to make this test pass: a
//! difference here means events stored before and after the change would not hash alike.

use std::path::{Path, PathBuf};

use authtrail_model::{Event, ModelError};
use serde_json::Value;

/// Inputs, by name. Each is parsed with `Event::from_json`; its canonical bytes must equal the
/// golden string of the same name.
const CASES: &[(&str, &str)] = &[
    (
        "minimal",
        r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,
            "metadata":{"product":{"name":"sshd","vendor_name":"OpenBSD"}},
            "user":{"name":"alice"},"src_endpoint":{"ip":"203.0.113.7","port":52100}}"#,
    ),
    (
        "realistic_1kb",
        r#"{"class_uid":3002,"category_uid":3,"activity_id":1,"time":1764230400003,"severity_id":1,
            "status_id":1,"status_code":"SUCCESS","message":"User alice.martin17 signed in to Slack",
            "metadata":{"version":"1.3.0","uid":"9f2c4e1ab37d4c0e8f6a5b2c1d0e9f8a",
            "product":{"name":"Okta","vendor_name":"Okta","version":"2025.11.0",
            "feature":{"name":"SSO","uid":"f-a1b2c3"}}},
            "user":{"name":"alice.martin17","uid":"00u1a2b3c4d5e6f7g8","email_addr":"alice.martin17@acme.example.com","type_id":1},
            "src_endpoint":{"ip":"198.51.100.23","port":52344,"hostname":"ws-3fa9c1.corp.acme.example.com",
            "location":{"country":"US","city":"Seattle"}},
            "service":{"name":"Slack","uid":"0oa9z8y7x6w5v4u3t2"},
            "session":{"uid":"102a3b4c5d6e7f8091a2b3c4","is_mfa":true},
            "auth_protocol_id":5,"logon_type_id":3,"is_mfa":true,
            "http_request":{"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36","http_method":"POST"},
            "unmapped":{"transaction_id":"aZ3kQ9xW2mN7bV1cL5pR","debug_context.risk":"{level=LOW}",
            "debug_context.behaviors":"{New Geo-Location=NEGATIVE, New Device=NEGATIVE}"}}"#,
    ),
    (
        "unknown_keys_in_every_object",
        r#"{"class_uid":3002,"activity_id":2,"time":1764230400123,"severity_id":99,"status_id":99,
            "status_code":"E42","status_detail":"session ended","message":"logoff",
            "metadata":{"zz_last":1,"version":"1.6.0","uid":"evt-1","log_name":"audit",
              "product":{"name":"idp","vendor_name":"Acme","version":"2.0","lang":"en",
                "feature":{"name":"SSO","uid":"f1","version":null},"cpe_name":"cpe:2.3:a:acme"},
              "labels":["a","b"],"correlation_uid":null,"a_first":{"deep":{"deeper":[1,{"x":null}]}}},
            "user":{"uid":"u1","name":"bob","email_addr":"bob@example.com","type_id":1,
              "groups":[{"name":"admins","uid":"g1"}],"account":{"type":"AWS Account","uid":"123"},
              "domain":"corp","ZETA":true,"_under":"_"},
            "actor":{"user":{"name":"admin"},"app_name":"console","z":null,"a":[]},
            "src_endpoint":{"ip":"2001:db8::1","port":65535,"hostname":"h1",
              "location":{"country":"US","city":"Seattle","lat":47.6062,"long":-122.3321,
                "region":"WA","postal_code":"98101","coordinates":[-122.3321,47.6062]},
              "mac":"00:11:22:33:44:55","interface_name":"eth0","zone":null},
            "dst_endpoint":{"ip":"10.0.0.1","port":0,"svc_name":"ssh",
              "location":{"country":"DE","is_on_premises":false}},
            "service":{"name":"svc","uid":"s-1","version":"3","labels":[]},
            "session":{"uid":"sess","issuer":"https://idp.example.com","is_mfa":false,
              "created_time":1764230400000,"expiration_time":null,"is_remote":true},
            "auth_protocol_id":6,"logon_type_id":10,"is_mfa":false,
            "http_request":{"user_agent":"curl/8.0","http_method":"GET",
              "url":{"path":"/login","query_string":"a=1&b=2"},"headers":[{"name":"X","value":"y"}]},
            "cloud":{"provider":"AWS","region":"us-east-1"},
            "observables":[{"name":"src_endpoint.ip","type_id":2,"value":"2001:db8::1"}],
            "time_dt":"2025-11-27T08:00:00.123Z","count":3,"duration":1.5,"raw_data":"line\nwith\ttabs",
            "vendorField":"v","another":{"nested":[1,2,3]},"0num":0,
            "unmapped":{"k":"v","n":null,"arr":[true,false,null]}}"#,
    ),
    (
        "escaped_and_unicode_keys",
        r#"{"cl\u0061ss_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,
            "met\u0061data":{"pr\u006fduct":{"na\u006de":"p\u00e9","vendor\u005fname":"V","\u0076ersion":"1"},
              "\u0075id":"m"},
            "\u0075ser":{"na\u006de":"Jos\u00e9 \ud83d\ude00","\u00fcber":"x","\u0000ctl":"nul key",
              "em\u0061il_addr":"j@example.com"},
            "src_endpoint":{"\u0069p":"192.0.2.1","h\u006fstname":"h","l\u006fcation":{"c\u0069ty":"Z\u00fcrich"}},
            "se\u0073sion":{"\u0075id":"s","is_\u006dfa":true},
            "http_re\u0071uest":{"user_\u0061gent":"UA \"quoted\"","\u0078":1},
            "ser\u0076ice":{"n\u0061me":"S"},
            "ключ":"значение","😀":"emoji","\ud83d\ude01":"escaped emoji",
            "esc\"aped\\key":"q\"uote\\back\/slash","ctl":"\u0001\u001f\u007f\b\f\n\r\t",
            "ls":"\u2028\u2029","unmapped":{"é":1,"e":2,"E":3,"":4}}"#,
    ),
    (
        "numbers",
        r#"{"class_uid":3002,"activity_id":1,"time":0,"severity_id":1,
            "metadata":{"product":{"name":"p"},"n":1e2},
            "src_endpoint":{"port":1,"location":{"lat":47,"long":-0.0,"alt":-12.5}},
            "dst_endpoint":{"location":{"lat":1e-7,"long":1.5e300}},
            "n_u64_max":18446744073709551615,"n_i64_min":-9223372036854775808,
            "n_big":100000000000000000000,"n_float":1.0,"n_exp":1e-7,"n_neg_zero":-0.0,
            "n_int_neg_zero":-0,"n_big_exp":1.5e300,"n_prec":0.1,"n_frac":123.456e2,
            "n_arr":[0,-1,2.5,1E3]}"#,
    ),
    (
        "nulls_and_empties",
        r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,
            "class_name":null,"message":null,"user":null,"actor":null,"is_mfa":null,
            "auth_protocol_id":null,"status_code":null,"type_uid":null,
            "src_endpoint":{"ip":null,"location":null,"port":null,"zone":null},
            "dst_endpoint":{},"session":{},"service":{"name":null},"http_request":{"user_agent":null},
            "metadata":{"product":{"name":"p","version":null},"version":null,"uid":null,"extra_null":null},
            "cloud":null,"vendor_null":null,"unmapped":null}"#,
    ),
    (
        "empty_unmapped_object",
        r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,
            "metadata":{"product":{"vendor_name":"v"}},"unmapped":{}}"#,
    ),
    (
        "rfc3339_time_with_offset",
        r#"{"class_uid":3002,"activity_id":1,"time":"2025-11-27T11:00:00.250+01:00","severity_id":1,
            "metadata":{"product":{"name":"p"}}}"#,
    ),
    (
        "rfc3339_time_nanoseconds",
        r#"{"class_uid":3002,"activity_id":1,"time":"2025-11-27T10:00:00.123456789Z","severity_id":1,
            "metadata":{"product":{"name":"p"}}}"#,
    ),
    (
        "given_captions_are_kept",
        r#"{"class_uid":3002,"class_name":"Custom class","category_uid":3,"category_name":"Custom cat",
            "activity_id":99,"activity_name":"Custom activity","type_uid":300299,"type_name":"Custom type",
            "time":1764230400000,"severity_id":6,"severity":"Custom sev","status_id":2,"status":"Custom st",
            "auth_protocol_id":12,"auth_protocol":"Custom proto","logon_type_id":13,"logon_type":"Custom lt",
            "metadata":{"product":{"name":"p"}}}"#,
    ),
    (
        "enum_captions",
        r#"{"class_uid":3002,"activity_id":7,"time":1764230400000,"severity_id":5,"status_id":99,
            "auth_protocol_id":0,"logon_type_id":0,"metadata":{"product":{"name":"p"}}}"#,
    ),
    (
        "unmapped_merges_with_unknown_keys",
        r#"{"aaa":1,"class_uid":3002,"unmapped":{"bbb":2,"dup":1,"dup":2},"activity_id":1,"ccc":{"x":[]},
            "time":1764230400000,"unm\u0061pped":{"ddd":4},"severity_id":1,"metadata":{"product":{"name":"p"}},
            "api":{"operation":"Login"},"zzz":null}"#,
    ),
    (
        "nested_duplicate_unknown_keys_keep_the_last",
        r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,
            "metadata":{"product":{"name":"p","k":1,"k":2},"m":1,"m":{"a":1}},
            "user":{"name":"a","x":1,"x":2},"src_endpoint":{"location":{"k":1,"k":[2]}}}"#,
    ),
    (
        "whitespace_everywhere",
        "{ \"class_uid\" : 3002 ,\n\t\"activity_id\":1,\r\n \"time\" : 1764230400000 , \"severity_id\" : 1 ,\n \"metadata\" : { \"product\" : { \"name\" : \"p\" , \"x\" : [ 1 , 2 ] } } ,\n \"user\" : { \"name\" : \"a b\" } }\n",
    ),
];

/// Cases whose input repeats a key: a `serde_json::Value` would keep only one of the two.
const DUPLICATE_KEYS: &[&str] = &[
    "unmapped_merges_with_unknown_keys",
    "nested_duplicate_unknown_keys_keep_the_last",
];

/// Canonical bytes of each case, as the model produced them before its parser was rewritten.
const GOLDEN: &[(&str, &str)] = &[
    (
        "minimal",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":2,"status":"Failure","metadata":{"product":{"name":"sshd","vendor_name":"OpenBSD"}},"user":{"name":"alice"},"src_endpoint":{"ip":"203.0.113.7","port":52100}}"##,
    ),
    (
        "realistic_1kb",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400003,"severity_id":1,"severity":"Informational","status_id":1,"status":"Success","status_code":"SUCCESS","message":"User alice.martin17 signed in to Slack","metadata":{"product":{"name":"Okta","vendor_name":"Okta","version":"2025.11.0","feature":{"name":"SSO","uid":"f-a1b2c3"}},"version":"1.3.0","uid":"9f2c4e1ab37d4c0e8f6a5b2c1d0e9f8a"},"user":{"name":"alice.martin17","uid":"00u1a2b3c4d5e6f7g8","email_addr":"alice.martin17@acme.example.com","type_id":1},"src_endpoint":{"ip":"198.51.100.23","port":52344,"hostname":"ws-3fa9c1.corp.acme.example.com","location":{"country":"US","city":"Seattle"}},"service":{"name":"Slack","uid":"0oa9z8y7x6w5v4u3t2"},"session":{"uid":"102a3b4c5d6e7f8091a2b3c4","is_mfa":true},"auth_protocol_id":5,"auth_protocol":"SAML","logon_type_id":3,"logon_type":"Network","is_mfa":true,"http_request":{"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36","http_method":"POST"},"unmapped":{"debug_context.behaviors":"{New Geo-Location=NEGATIVE, New Device=NEGATIVE}","debug_context.risk":"{level=LOW}","transaction_id":"aZ3kQ9xW2mN7bV1cL5pR"}}"##,
    ),
    (
        "unknown_keys_in_every_object",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":2,"activity_name":"Logoff","type_uid":300202,"type_name":"Authentication: Logoff","time":1764230400123,"severity_id":99,"severity":"Other","status_id":99,"status":"Other","status_code":"E42","status_detail":"session ended","message":"logoff","metadata":{"product":{"name":"idp","vendor_name":"Acme","version":"2.0","cpe_name":"cpe:2.3:a:acme","feature":{"name":"SSO","uid":"f1","version":null},"lang":"en"},"version":"1.6.0","uid":"evt-1","a_first":{"deep":{"deeper":[1,{"x":null}]}},"correlation_uid":null,"labels":["a","b"],"log_name":"audit","zz_last":1},"user":{"name":"bob","uid":"u1","email_addr":"bob@example.com","ZETA":true,"_under":"_","account":{"type":"AWS Account","uid":"123"},"domain":"corp","groups":[{"name":"admins","uid":"g1"}],"type_id":1},"actor":{"a":[],"app_name":"console","user":{"name":"admin"},"z":null},"src_endpoint":{"ip":"2001:db8::1","port":65535,"hostname":"h1","location":{"country":"US","city":"Seattle","lat":47.6062,"long":-122.3321,"coordinates":[-122.3321,47.6062],"postal_code":"98101","region":"WA"},"interface_name":"eth0","mac":"00:11:22:33:44:55","zone":null},"dst_endpoint":{"ip":"10.0.0.1","port":0,"location":{"country":"DE","is_on_premises":false},"svc_name":"ssh"},"service":{"name":"svc","uid":"s-1","labels":[],"version":"3"},"session":{"uid":"sess","issuer":"https://idp.example.com","is_mfa":false,"created_time":1764230400000,"expiration_time":null,"is_remote":true},"auth_protocol_id":6,"auth_protocol":"OAUTH 2.0","logon_type_id":10,"logon_type":"Remote Interactive","is_mfa":false,"http_request":{"user_agent":"curl/8.0","headers":[{"name":"X","value":"y"}],"http_method":"GET","url":{"path":"/login","query_string":"a=1&b=2"}},"cloud":{"provider":"AWS","region":"us-east-1"},"count":3,"duration":1.5,"observables":[{"name":"src_endpoint.ip","type_id":2,"value":"2001:db8::1"}],"raw_data":"line\nwith\ttabs","time_dt":"2025-11-27T08:00:00.123Z","unmapped":{"0num":0,"another":{"nested":[1,2,3]},"arr":[true,false,null],"k":"v","n":null,"vendorField":"v"}}"##,
    ),
    (
        "escaped_and_unicode_keys",
        concat!(
            r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"pé","vendor_name":"V","version":"1"},"uid":"m"},"user":{"name":"José 😀","email_addr":"j@example.com","\u0000ctl":"nul key","über":"x"},"src_endpoint":{"ip":"192.0.2.1","hostname":"h","location":{"city":"Zürich"}},"service":{"name":"S"},"session":{"uid":"s","is_mfa":true},"http_request":{"user_agent":"UA \"quoted\"","x":1},"unmapped":{"":4,"E":3,"ctl":"\u0001\u001f"##,
            "\u{7f}",
            r##"\b\f\n\r\t","e":2,"esc\"aped\\key":"q\"uote\\back/slash","ls":""##,
            "\u{2028}\u{2029}",
            r##"","é":1,"ключ":"значение","😀":"emoji","😁":"escaped emoji"}}"##,
        ),
    ),
    (
        "numbers",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":0,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p"},"n":100.0},"src_endpoint":{"port":1,"location":{"lat":47.0,"long":-0.0,"alt":-12.5}},"dst_endpoint":{"location":{"lat":1e-7,"long":1.5e+300}},"unmapped":{"n_arr":[0,-1,2.5,1000.0],"n_big":1e+20,"n_big_exp":1.5e+300,"n_exp":1e-7,"n_float":1.0,"n_frac":12345.6,"n_i64_min":-9223372036854775808,"n_int_neg_zero":-0.0,"n_neg_zero":-0.0,"n_prec":0.1,"n_u64_max":18446744073709551615}}"##,
    ),
    (
        "nulls_and_empties",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p"},"extra_null":null},"src_endpoint":{"zone":null},"dst_endpoint":{},"service":{},"session":{},"http_request":{},"cloud":null,"unmapped":{"vendor_null":null}}"##,
    ),
    (
        "empty_unmapped_object",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"vendor_name":"v"}}}"##,
    ),
    (
        "rfc3339_time_with_offset",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764237600250,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p"}}}"##,
    ),
    (
        "rfc3339_time_nanoseconds",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764237600123,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p"}}}"##,
    ),
    (
        "given_captions_are_kept",
        r##"{"class_uid":3002,"class_name":"Custom class","category_uid":3,"category_name":"Custom cat","activity_id":99,"activity_name":"Custom activity","type_uid":300299,"type_name":"Custom type","time":1764230400000,"severity_id":6,"severity":"Custom sev","status_id":2,"status":"Custom st","metadata":{"product":{"name":"p"}},"auth_protocol_id":12,"auth_protocol":"Custom proto","logon_type_id":13,"logon_type":"Custom lt"}"##,
    ),
    (
        "enum_captions",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":7,"activity_name":"Account Switch","type_uid":300207,"type_name":"Authentication: Account Switch","time":1764230400000,"severity_id":5,"severity":"Critical","status_id":99,"status":"Other","metadata":{"product":{"name":"p"}},"auth_protocol_id":0,"auth_protocol":"Unknown","logon_type_id":0,"logon_type":"Unknown"}"##,
    ),
    (
        "unmapped_merges_with_unknown_keys",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p"}},"api":{"operation":"Login"},"unmapped":{"aaa":1,"bbb":2,"ccc":{"x":[]},"ddd":4,"dup":2,"zzz":null}}"##,
    ),
    (
        "nested_duplicate_unknown_keys_keep_the_last",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p","k":2},"m":{"a":1}},"user":{"name":"a","x":2},"src_endpoint":{"location":{"k":[2]}}}"##,
    ),
    (
        "whitespace_everywhere",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1764230400000,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"p","x":[1,2]}},"user":{"name":"a b"}}"##,
    ),
];

/// Canonical bytes of the OCSF example files, by file name.
const GOLDEN_EXAMPLES: &[(&str, &str)] = &[
    (
        "1_1_0_OCSF_authentication.ocsf.json",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management Category","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1699633474000,"severity_id":1,"severity":"Informational","status_id":1,"status":"Success","metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS","version":"1.08","feature":{"name":"Management"}},"version":"1.1.0","uid":"fed06f42-cb12-4764-8c69-example","event_code":"AwsConsoleSignIn","log_provider":"CloudTrail","profiles":["cloud","datetime"]},"user":{"uid":"arn:aws:iam::111122223333:user/anaya","uid_alt":"AIDACKCEVSQ6C2EXAMPLE"},"actor":{"idp":{"name":null},"invoked_by":null,"session":{"issuer":null},"user":{"account":{"uid":"111122223333"},"credential_uid":null,"name":"anaya","type":"IAMUser","uid":"arn:aws:iam::111122223333:user/anaya","uid_alt":"AIDACKCEVSQ6C2EXAMPLE"}},"src_endpoint":{"ip":"192.0.2.0"},"dst_endpoint":{"svc_name":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true"},"session":{"expiration_time":null},"is_mfa":true,"http_request":{"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36"},"api":{"operation":"ConsoleLogin","request":{"data":null,"uid":""},"response":{"data":{"ConsoleLogin":"Success"},"error":null,"message":null},"service":{"name":"signin.amazonaws.com"},"version":null},"cloud":{"provider":"AWS","region":"us-east-1"},"observables":[{"name":"src_endpoint.ip","type":"IP Address","type_id":2,"value":"192.0.2.0"}],"time_dt":"2023-11-10T16:24:34Z","unmapped":{"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MFAIdentifier":"arn:aws:iam::111122223333:u2f/user/anaya/default-AAAAAAAABBBBBBBBCCCCCCCCDD","MobileVersion":"No"},"eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333","requestParameters":null,"responseElements":{},"userIdentity":{}}}"##,
    ),
    (
        "github_audit_authentication.ocsf.json",
        r##"{"class_uid":3002,"class_name":"Authentication","category_uid":3,"category_name":"Identity & Access Management","activity_id":1,"activity_name":"Logon","type_uid":300201,"type_name":"Authentication: Logon","time":1729176166108,"severity_id":1,"severity":"Informational","status_id":0,"status":"Unknown","metadata":{"product":{"name":"GitHub Audit Log","vendor_name":"GitHub"},"version":"1.3.0","uid":"m-111111111111==","event_code":"business.sso_response","profiles":["datetime","host"]},"user":{"name":"test_user","uid":"51111"},"actor":{"user":{"email_addr":"test_user@acme.com","name":"test_user","type":"Unknown","type_id":0,"uid":"51111"}},"auth_protocol_id":5,"auth_protocol":"SAML","logon_type_id":99,"logon_type":"Other","http_request":{"user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"},"observables":[{"name":"http_request.user_agent","type":"HTTP User-Agent","type_id":16,"value":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"},{"name":"actor.user.name","type":"User Name","type_id":4,"value":"test_user"}],"time_dt":"2024-10-17T14:42:46.000Z","unmapped":{"business":"acme-inc","business_id":11}}"##,
    ),
];

/// Canonical bytes of `Event::unparsed("missing required field time", "json", 1764230400000)`.
const GOLDEN_UNPARSED: &str = r##"{"class_uid":0,"class_name":"Unparsed","category_uid":0,"category_name":"Uncategorized","activity_id":0,"activity_name":"Unknown","type_uid":0,"type_name":"Unparsed: Unknown","time":1764230400000,"severity_id":0,"severity":"Unknown","status_id":0,"status":"Unknown","status_detail":"missing required field time","message":"unparsed input: missing required field time","metadata":{"product":{"name":"authtrail","vendor_name":"authtrail","version":"0.1.0"},"version":"1.6.0"},"unmapped":{"format":"json"}}"##;

fn canonical(event: &Event) -> String {
    String::from_utf8(event.canonical_bytes()).expect("canonical bytes are UTF-8")
}

fn golden<'a>(table: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    table.iter().find(|(n, _)| *n == name).map(|(_, g)| *g)
}

/// Compare with the golden strings; on a difference, print the actual string and fail.
fn check(table: &[(&str, &str)], name: &str, actual: &str, failures: &mut Vec<String>) {
    if golden(table, name) != Some(actual) {
        println!("canonical bytes of {name} differ; now:\n    ({name:?}, r##\"{actual}\"##),");
        failures.push(name.to_string());
    }
}

#[test]
fn canonical_bytes_match_the_golden_strings() {
    let mut failures = Vec::new();
    for (name, input) in CASES {
        let event = Event::from_json(input.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(GOLDEN, name, &canonical(&event), &mut failures);
    }
    for (name, _) in GOLDEN {
        assert!(
            CASES.iter().any(|(n, _)| n == name),
            "golden {name} has no case"
        );
    }
    assert!(failures.is_empty(), "canonical bytes changed: {failures:?}");
}

#[test]
fn canonical_bytes_read_back_to_the_same_event_and_bytes() {
    for (name, input) in CASES {
        let event = Event::from_json(input.as_bytes()).unwrap();
        let bytes = event.canonical_bytes();
        let back: Event = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, event, "{name}");
        assert_eq!(back.canonical_bytes(), bytes, "{name}");
        // The canonical bytes are a fixed point of parsing too.
        let again = Event::from_json(&bytes).unwrap();
        assert_eq!(again.canonical_bytes(), bytes, "{name}");
    }
}

#[test]
fn from_value_agrees_with_from_json() {
    for (name, input) in CASES {
        if DUPLICATE_KEYS.contains(name) {
            continue;
        }
        let value: Value = serde_json::from_str(input).unwrap();
        let from_value = Event::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"));
        let from_json = Event::from_json(input.as_bytes()).unwrap();
        assert_eq!(from_value, from_json, "{name}");
    }
}

#[test]
fn unparsed_events_keep_their_canonical_bytes() {
    let e = Event::unparsed("missing required field time", "json", 1764230400000);
    let mut failures = Vec::new();
    check(
        &[("unparsed", GOLDEN_UNPARSED)],
        "unparsed",
        &canonical(&e),
        &mut failures,
    );
    assert!(failures.is_empty(), "canonical bytes changed: {failures:?}");
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/ocsf-schema/examples")
}

#[test]
fn ocsf_examples_match_their_golden_strings() {
    let dir = examples_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} missing in CI",
            dir.display()
        );
        println!("skipping: {} not found", dir.display());
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ocsf.json"))
        .collect();
    names.sort();
    for (name, _) in GOLDEN_EXAMPLES {
        assert!(names.iter().any(|n| n == name), "example {name} is gone");
    }
    let mut failures = Vec::new();
    for name in &names {
        let text = std::fs::read(dir.join(name)).unwrap();
        let event = Event::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let bytes = canonical(&event);
        let back: Event = serde_json::from_str(&bytes).unwrap();
        assert_eq!(back, event, "{name}");
        if golden(GOLDEN_EXAMPLES, name).is_none() {
            println!("note: example {name} has no golden string; checked the round trip only");
            continue;
        }
        check(GOLDEN_EXAMPLES, name, &bytes, &mut failures);
    }
    assert!(failures.is_empty(), "canonical bytes changed: {failures:?}");
}

/// Start of an event every error case adds one member to (or replaces one of).
const BASE: &str = r#""class_uid":3002,"activity_id":1,"severity_id":1"#;
const TIME: &str = r#","time":1764230400000"#;
const METADATA: &str = r#","metadata":{"product":{"name":"p"}}"#;

/// Invalid events and the message of their error (without its position).
const ERRORS: &[(&str, &str)] = &[
    (
        r#""user":{"name":"a","name":"b"}"#,
        r#"field user: duplicate field `name`"#,
    ),
    (
        r#""user":{"name":"a","na\u006de":"b"}"#,
        r#"field user: duplicate field `name`"#,
    ),
    (
        r#""user":{"name":null,"name":"b"}"#,
        r#"field user: duplicate field `name`"#,
    ),
    (
        r#""metadata":{"product":{"name":"p"},"product":{"name":"q"}}"#,
        r#"field metadata: duplicate field `product`"#,
    ),
    (
        r#""metadata":{"product":{"name":"p","version":"1","version":"2"}}"#,
        r#"field metadata: duplicate field `version`"#,
    ),
    (
        r#""user":{"name":5}"#,
        r#"field user: invalid type: integer `5`, expected a string"#,
    ),
    (
        r#""user":"alice""#,
        r#"field user: invalid type: string "alice", expected struct User"#,
    ),
    (
        r#""user":[1]"#,
        r#"field user: invalid type: sequence, expected struct User"#,
    ),
    (
        r#""user":true"#,
        r#"field user: invalid type: boolean `true`, expected struct User"#,
    ),
    (
        r#""src_endpoint":{"port":70000}"#,
        r#"field src_endpoint: invalid value: integer `70000`, expected u16"#,
    ),
    (
        r#""src_endpoint":{"port":-1}"#,
        r#"field src_endpoint: invalid value: integer `-1`, expected u16"#,
    ),
    (
        r#""src_endpoint":{"port":1.5}"#,
        r#"field src_endpoint: invalid type: floating point `1.5`, expected u16"#,
    ),
    (
        r#""src_endpoint":{"port":"22"}"#,
        r#"field src_endpoint: invalid type: string "22", expected u16"#,
    ),
    (
        r#""src_endpoint":{"location":{"lat":"x"}}"#,
        r#"field src_endpoint: invalid type: string "x", expected f64"#,
    ),
    (
        r#""src_endpoint":{"location":[]}"#,
        r#"field src_endpoint: invalid type: sequence, expected struct Location"#,
    ),
    (
        r#""dst_endpoint":{"location":{"city":"a","city":"b"}}"#,
        r#"field dst_endpoint: duplicate field `city`"#,
    ),
    (
        r#""session":{"is_mfa":"yes"}"#,
        r#"field session: invalid type: string "yes", expected a boolean"#,
    ),
    (
        r#""session":{"uid":"a","uid":"b"}"#,
        r#"field session: duplicate field `uid`"#,
    ),
    (
        r#""http_request":{"user_agent":["a"]}"#,
        r#"field http_request: invalid type: sequence, expected a string"#,
    ),
    (
        r#""http_request":{"user_agent":"a","user_agent":null}"#,
        r#"field http_request: duplicate field `user_agent`"#,
    ),
    (
        r#""service":{"name":"s","uid":7}"#,
        r#"field service: invalid type: integer `7`, expected a string"#,
    ),
    (
        r#""service":{"name":{}}"#,
        r#"field service: invalid type: map, expected a string"#,
    ),
    (
        r#""metadata":{"product":"p"}"#,
        r#"field metadata: invalid type: string "p", expected struct Product"#,
    ),
    (
        r#""metadata":{"product":{"name":"p"},"uid":1}"#,
        r#"field metadata: invalid type: integer `1`, expected a string"#,
    ),
    (r#""user":{"name":"a",}"#, r#"field user: trailing comma"#),
    (r#""user":{"x":1, "x":}"#, r#"field user: expected value"#),
    (
        r#""user":{"\ud800":"x"}"#,
        r#"field user: unexpected end of hex escape"#,
    ),
    (r#""actor":{"a":[1,}"#, r#"field actor: expected value"#),
    (r#""unmapped":{"a":1},"a":2"#, r#"duplicate field a"#),
    (
        r#""a":2,"unmapped":{"a":1}"#,
        r#"duplicate field unmapped.a"#,
    ),
    (
        r#""unmapped":{"a":1},"unmapped":{"a":2}"#,
        r#"duplicate field unmapped.a"#,
    ),
    (r#""unmapped":5"#, r#"field unmapped: expected an object"#),
    (
        r#""unmapped":[{"a":1}]"#,
        r#"field unmapped: expected an object"#,
    ),
    (r#""unmapped":"x""#, r#"field unmapped: expected an object"#),
    (r#""cloud":1,"cloud":2"#, r#"duplicate field cloud"#),
    (r#""vendor":1,"vendor":2"#, r#"duplicate field vendor"#),
    (r#""user":{},"user":{}"#, r#"duplicate field user"#),
    (
        r#""severity_id":"x""#,
        r#"field severity_id: invalid type: string "x", expected i32"#,
    ),
    (
        r#""is_mfa":"x""#,
        r#"field is_mfa: invalid type: string "x", expected a boolean"#,
    ),
    (
        r#""time":"nope""#,
        r#"field time: "nope" is not an RFC 3339 timestamp: failed to parse four digit integer as year: invalid digit, expected 0-9 but got n"#,
    ),
    (
        r#""time":1.5"#,
        r#"field time: must be whole milliseconds since the epoch"#,
    ),
    (
        r#""time":true"#,
        r#"field time: expected milliseconds or an RFC 3339 string"#,
    ),
    (
        r#""time":[1]"#,
        r#"field time: expected milliseconds or an RFC 3339 string"#,
    ),
    (r#""time":1,"time":2"#, r#"duplicate field time"#),
    (r#""metadata":null"#, r#"missing required field metadata"#),
    (
        r#""metadata":{"product":null}"#,
        r#"missing required field metadata.product"#,
    ),
    (
        r#""metadata":{"product":{"version":"1"}}"#,
        r#"field metadata.product: needs a name or a vendor_name"#,
    ),
    (
        r#""src_endpoint":{"ip":"not-an-ip"}"#,
        r#"field src_endpoint.ip: "not-an-ip" is not an IP address"#,
    ),
    (
        r#""auth_protocol_id":42"#,
        r#"field auth_protocol_id: 42 is not a defined value"#,
    ),
];

/// The error of one case: the base event, with `member` added (replacing the base's time or
/// metadata when `member` has its own).
fn error_of(member: &str) -> String {
    let time = if member.contains(r#""time""#) {
        ""
    } else {
        TIME
    };
    let metadata = if member.contains(r#""metadata""#) {
        ""
    } else {
        METADATA
    };
    let text = format!("{{{BASE}{time}{metadata},{member}}}");
    match Event::from_json(text.as_bytes()) {
        Ok(e) => format!("accepted: {}", canonical(&e)),
        Err(ModelError::Json { message, .. }) => message,
        Err(e) => e.to_string(),
    }
}

#[test]
fn error_messages_are_stable() {
    let mut failures = Vec::new();
    for (member, want) in ERRORS {
        let got = error_of(member);
        if got != *want {
            println!("error of {member} differs; now:\n    (r#\"{member}\"#, r#\"{got}\"#),");
            failures.push(member.to_string());
        }
    }
    assert!(failures.is_empty(), "error messages changed: {failures:?}");
}
