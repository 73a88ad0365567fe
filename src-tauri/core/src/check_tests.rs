//! The verdict of both probes' answers, every combination, and what the report says.

use super::*;
use std::collections::BTreeMap;

fn config() -> Config {
    let env: BTreeMap<&str, &str> = [("KANKA_LINK_CLIENT_ID", "12")].into();
    Config::from_sources(&env, std::path::Path::new("/nonexistent/config.toml")).unwrap()
}

fn network() -> Error {
    Error::Network { host: "app.kanka.io".to_owned(), detail: "connection refused".to_owned() }
}

fn code(result: Result<()>) -> ErrorCode {
    result.unwrap_err().code()
}

#[test]
fn both_answers_tell_which_setting_is_wrong() {
    let c = config();
    let judge = |t: Answer, a: Answer| judge(&c, Some(Ok(t)), Ok(a));
    judge(Answer::Passed, Answer::Passed).unwrap();
    assert_eq!(code(judge(Answer::InvalidClient, Answer::Passed)), ErrorCode::SecretRefused);
    assert_eq!(code(judge(Answer::InvalidClient, Answer::InvalidClient)), ErrorCode::ClientUnknown);
    assert_eq!(code(judge(Answer::Passed, Answer::InvalidClient)), ErrorCode::RedirectNotRegistered);
    for (t, a) in [
        (Answer::UnauthorizedClient, Answer::Passed),
        (Answer::Passed, Answer::UnauthorizedClient),
        (Answer::InvalidClient, Answer::UnauthorizedClient),
    ] {
        assert_eq!(code(judge(t, a)), ErrorCode::ClientNotAllowed);
    }
    for (t, a) in [
        (Answer::NotKanka("x".into()), Answer::Passed),
        (Answer::Passed, Answer::NotKanka("x".into())),
        (Answer::InvalidClient, Answer::NotKanka("x".into())),
    ] {
        assert_eq!(code(judge(t, a)), ErrorCode::NotKanka);
    }
}

#[test]
fn the_messages_name_the_setting_and_the_fix() {
    let c = config();
    let redirect = judge(&c, Some(Ok(Answer::Passed)), Ok(Answer::InvalidClient)).unwrap_err();
    assert_eq!(
        redirect.to_string(),
        "Kanka does not know the redirect URL http://localhost:47813/kanka-link/callback for client 12: copy it \
         into the client's settings in Kanka."
    );
    assert!(redirect.hint().unwrap().contains("https://app.kanka.io/settings/api"), "{:?}", redirect.hint());
    let unknown = judge(&c, Some(Ok(Answer::InvalidClient)), Ok(Answer::InvalidClient)).unwrap_err();
    assert_eq!(unknown.to_string(), "Kanka at https://app.kanka.io does not know the client id 12.");
    assert!(unknown.hint().unwrap().contains("https://app.kanka.io/settings/client/create"));
    let secret = judge(&c, Some(Ok(Answer::InvalidClient)), Ok(Answer::Passed)).unwrap_err();
    assert!(secret.to_string().contains("client secret of client 12"), "{secret}");
    assert!(secret.hint().unwrap().contains("Settings"));
    let not_kanka =
        judge(&c, Some(Ok(Answer::NotKanka("it answers HTTP 404".into()))), Ok(Answer::Passed)).unwrap_err();
    assert_eq!(
        not_kanka.to_string(),
        "https://app.kanka.io does not answer like Kanka's sign-in server: it answers HTTP 404."
    );
    assert!(not_kanka.hint().unwrap().contains("Kanka URL"));
}

#[test]
fn no_answer_is_no_verdict_on_the_settings() {
    let c = config();
    // Either probe unanswered: the check cannot tell, and says why.
    for (t, a) in [
        (Err(network()), Ok(Answer::Passed)),
        (Ok(Answer::Passed), Err(network())),
        (Err(network()), Ok(Answer::InvalidClient)),
        (Err(Error::ServerError { status: 503 }), Err(network())),
    ] {
        let result = judge(&c, Some(t), a);
        assert_eq!(Verdict::of(&result), Verdict::Unreachable, "{result:?}");
    }
    // The token endpoint refusing the client is a verdict on its own.
    let refused = judge(&c, Some(Ok(Answer::InvalidClient)), Err(network()));
    assert_eq!(code(refused), ErrorCode::InvalidClient);
    assert_eq!(Verdict::of(&judge(&c, Some(Ok(Answer::InvalidClient)), Err(network()))), Verdict::SettingWrong);
    for unanswered in [
        Error::Timeout { host: "h".into() },
        Error::RateLimited { retry_after: None },
        Error::UnexpectedResponse { detail: "an HTML page".into() },
    ] {
        assert_eq!(Verdict::of(&judge(&c, Some(Err(unanswered)), Ok(Answer::Passed))), Verdict::Unreachable);
    }
}

#[test]
fn without_a_secret_the_check_says_so() {
    let c = config();
    assert_eq!(code(judge(&c, None, Ok(Answer::Passed))), ErrorCode::MissingClientSecret);
    assert_eq!(Verdict::of(&judge(&c, None, Ok(Answer::Passed))), Verdict::SettingWrong);
    assert_eq!(code(judge(&c, None, Ok(Answer::NotKanka("x".into())))), ErrorCode::NotKanka);
}

#[test]
fn the_settings_digest_changes_with_every_setting_and_holds_no_secret() {
    let c = config();
    let secret = ClientSecret::new("s3cret-value".to_owned());
    let digest = settings_digest(&c, &secret);
    assert_eq!(digest.len(), 32);
    assert!(!digest.contains("s3cret"));
    assert_eq!(digest, settings_digest(&c, &ClientSecret::new("s3cret-value".to_owned())));
    assert_ne!(digest, settings_digest(&c, &ClientSecret::new("s3cret-valuf".to_owned())));
    let mut other = c.clone();
    other.redirect_uri = Url::parse("http://localhost:47814/kanka-link/callback").unwrap();
    assert_ne!(digest, settings_digest(&other, &secret));
    let mut other = c.clone();
    other.client_id = ClientId::new("13".to_owned());
    assert_ne!(digest, settings_digest(&other, &secret));
}

#[test]
fn summaries_read_as_one_line_each() {
    let c = config();
    assert_eq!(token_summary(&ProbeOutcome::Passed), "passed: Kanka accepts the client id and secret");
    let line = authorize_summary(&ProbeOutcome::InvalidClient, &c);
    assert!(line.contains("http://localhost:47813/kanka-link/callback") && !line.contains('\n'), "{line}");
    let problem = network().info();
    assert_eq!(
        authorize_summary(&ProbeOutcome::NoAnswer { problem }, &c),
        "no answer: Could not reach app.kanka.io: connection refused."
    );
}
