//! Credentials written into a URL: `etcd3://user:password@host:2379/ns`.
//!
//! `--dcs-url` (or `PGTUI_DCS_URL`) may carry the etcd user and password
//! this way, and they are used as such. Everywhere else (etcd hosts in a
//! patroni.yml, HAProxy stats URLs) credentials in a URL are refused with an
//! error naming the field, since pgtui would otherwise send them somewhere
//! or print them. Any URL pgtui prints goes through [`redact`] first.

use super::Secret;

/// The `user[:password]` of a URL, percent-decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlCredentials {
    pub username: String,
    pub password: Option<Secret>,
}

/// Splits `user:password@rest` (a URL after its `scheme://`) at the last
/// `@`, so that a password may hold an `@` of its own.
pub fn split(after_scheme: &str) -> (Option<UrlCredentials>, &str) {
    let Some((info, rest)) = after_scheme.rsplit_once('@') else {
        return (None, after_scheme);
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let (user, password) = match info.split_once(':') {
        Some((u, p)) => (u, Some(Secret::new(decode(p)))),
        None => (info, None),
    };
    let creds = UrlCredentials {
        username: decode(user),
        password,
    };
    (Some(creds), rest)
}

/// Whether a URL (or `host:port`) carries `user@` or `user:password@`.
pub fn present(url: &str) -> bool {
    let after = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    after
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

/// `text` with the userinfo of every URL in it replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| "/?#)\"'".contains(c) || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_decodes_credentials() {
        let (c, rest) = split("root:p%40ss@w@h1:2379,h2:2379/pg");
        let c = c.unwrap();
        assert_eq!(c.username, "root");
        assert_eq!(c.password.unwrap().expose(), "p@ss@w");
        assert_eq!(rest, "h1:2379,h2:2379/pg");
        let (c, rest) = split("dba@h:1");
        assert_eq!((c.unwrap().password, rest), (None, "h:1"));
        assert_eq!(split("h:1/pg"), (None, "h:1/pg"));
    }

    #[test]
    fn finds_and_redacts_userinfo() {
        assert!(present("https://u:S3CRET@h:2379/"));
        assert!(present("u:S3CRET@h:2379"));
        assert!(!present("http://h:9101/stats;csv?x=a@b"));
        assert_eq!(
            redact("error sending request for url (http://u:S3CRET@h:8008/patroni): refused; and https://h/x"),
            "error sending request for url (http://***@h:8008/patroni): refused; and https://h/x"
        );
    }
}
