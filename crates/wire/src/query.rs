//! Query-string parameters, matched by name without regard to case (`maxItems`,
//! `maxitems`, `MaxItems` are one parameter; `common-parameters.md`).

/// A parsed query string. Names are kept lower-cased; values are percent-decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// Every parameter, names lower-cased, in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first value of the parameter `name` (given in lower case).
    pub fn get(&self, name: &str) -> Option<&str> {
        debug_assert_eq!(name, name.to_ascii_lowercase());
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ignore_case_and_values_are_decoded() {
        let q = Query::parse(Some("MaxItems=5&orderby=TrackTitle&accessToken=Bearer+abc%3D&jsonp=cb"));
        assert_eq!(q.get("maxitems"), Some("5"));
        assert_eq!(q.get("orderby"), Some("TrackTitle"));
        assert_eq!(q.get("accesstoken"), Some("Bearer abc="));
        assert_eq!(q.get("continuationtoken"), None);
        assert_eq!(Query::parse(None).get("x"), None);
    }
}
