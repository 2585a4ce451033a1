//! The library's copy of the subscription list, restored after a reconnect. Same rule as the
//! server: newest last (re-subscribing refreshes), at most [`MAX_SUBSCRIPTIONS`], the oldest
//! evicted first.

use std::collections::VecDeque;

pub(crate) const MAX_SUBSCRIPTIONS: usize = 200;

#[derive(Default, Debug)]
pub struct Subscriptions {
    ids: VecDeque<String>,
}

impl Subscriptions {
    pub fn add(&mut self, ids: &[String]) {
        for id in ids {
            self.ids.retain(|s| s != id);
            self.ids.push_back(id.clone());
        }
        while self.ids.len() > MAX_SUBSCRIPTIONS {
            self.ids.pop_front();
        }
    }

    /// `None` removes all.
    pub fn remove(&mut self, ids: Option<&[String]>) {
        match ids {
            Some(ids) if !ids.is_empty() => self.ids.retain(|s| !ids.contains(s)),
            _ => self.ids.clear(),
        }
    }

    pub fn chunks(&self, size: usize) -> Vec<Vec<String>> {
        let all: Vec<String> = self.ids.iter().cloned().collect();
        all.chunks(size.max(1)).map(<[String]>::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_and_refreshes_resubscribed() {
        let mut s = Subscriptions::default();
        let ids: Vec<String> = (0..205).map(|i| format!("u{i}")).collect();
        s.add(&ids);
        let chunks = s.chunks(100);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100]
        );
        assert_eq!(chunks[0][0], "u5");
        s.add(&["u5".to_owned()]);
        let all = &s.chunks(300)[0];
        assert_eq!(
            (all[0].as_str(), all[199].as_str()),
            ("u6", "u5"),
            "re-subscribing refreshes"
        );
        s.remove(Some(&["u6".to_owned()]));
        assert_eq!(s.chunks(300)[0][0], "u7");
        s.remove(None);
        assert!(s.chunks(10).is_empty());
    }
}
