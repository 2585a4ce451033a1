//! One WebSocket connection: the login handshake, then requests, pushes, liveness and the end of
//! the session. Handlers see typed frames; `conn` deals with bytes and close codes.

use crate::conn::{Conn, Incoming};
use crate::ops::events::SessionInfo;
use crate::state::ServerState;
use crate::store::{
    App, Frame, Login, Outbox, OutboxLimits, SessionCtl, SessionEnd, SessionLink, StatusError,
};
use imsdk_protocol::{
    close, code, encode, ClientFrame, HeartbeatReply, LoginReply, LoginRequest, ServerFrame,
    PROTOCOL_VERSION,
};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep_until, Instant};
use tracing::Instrument;

/// A logged-in session.
struct Session {
    app: Arc<App>,
    user_id: String,
    sid: u64,
    ctl: Arc<SessionCtl>,
    /// Pending pushes, filled by the store.
    outbox: Arc<Outbox>,
    /// A write that makes no progress for this long cuts the session as a slow consumer.
    stall: Duration,
    /// Unix second after which the UserSig is no longer valid.
    sig_expires_at: u64,
    /// Who it is, for metrics, logs and webhooks.
    info: SessionInfo,
    ops: Arc<crate::ops::Ops>,
}

impl Drop for Session {
    /// Pushes that reach the session between its end and the store's removal of it are ignored.
    fn drop(&mut self) {
        self.outbox.close();
    }
}

/// Serves one upgraded connection until it closes.
pub async fn serve(conn: Conn, shared: Arc<ServerState>, peer: IpAddr) {
    let empty = tracing::field::Empty;
    let span = tracing::info_span!("session", %peer, sid = empty, app = empty, user = empty, platform = empty);
    serve_logged(conn, shared, peer).instrument(span).await
}

async fn serve_logged(conn: Conn, shared: Arc<ServerState>, peer: IpAddr) {
    let mut conn = conn;
    if let Some(session) = login(&mut conn, &shared, peer).await {
        let (user_id, info) = (session.user_id.clone(), session.info.clone());
        let (app, sid) = (session.app.clone(), session.sid);
        let how = session.run(&mut conn, &shared).await;
        if how.lost() {
            app.end_session(&user_id, sid, false).await;
        }
        shared.ops.ended(&app, &info, how);
    }
}

/// Waits for the login frame and admits the session, or answers why not and closes.
async fn login(conn: &mut Conn, shared: &ServerState, peer: IpAddr) -> Option<Session> {
    let deadline = Instant::now() + Duration::from_secs(shared.settings.login_timeout_s);
    let mut shutdown = shared.shutdown.clone();
    let text = loop {
        tokio::select! {
            _ = sleep_until(deadline) => {
                conn.close(close::PROTOCOL_ERROR, "no login frame in time").await;
                return None;
            }
            _ = crate::state::shutting_down(&mut shutdown) => {
                conn.close(close::GOING_AWAY, "server shutting down").await;
                return None;
            }
            incoming = conn.recv() => match incoming {
                Incoming::Text(text) => break text,
                Incoming::Control => continue,
                Incoming::Closed => return None,
            },
        }
    };
    let frame = match Conn::parse(&text) {
        Ok(frame) => frame,
        Err(reply) => {
            conn.send(&reply).await;
            conn.close(
                close::PROTOCOL_ERROR,
                "the first frame must be a valid login",
            )
            .await;
            return None;
        }
    };
    let request = match frame.into_login() {
        Ok(request) => request,
        Err(frame) => {
            conn.reply(frame.id(), code::SDK_NOT_LOGGED_IN, "log in first", None)
                .await;
            conn.close(close::PROTOCOL_ERROR, "request before login")
                .await;
            return None;
        }
    };
    let (id, sdk_app_id) = (request.id, request.sdk_app_id);
    match admit(shared, peer, request).await {
        Ok((session, heartbeat_timeout_s)) => {
            let limits = &session.app.cfg().limits;
            let data = LoginReply {
                version: PROTOCOL_VERSION,
                heartbeat_timeout_s,
                server_time: crate::store::unix_now(),
                limits: Some(imsdk_protocol::AppLimits {
                    custom_status_max_bytes: limits.custom_status_max_bytes,
                    get_max_ids: limits.get_max_ids,
                    subscribe_max_ids: limits.subscribe_max_ids,
                    subscription_max: limits.subscription_max,
                }),
            };
            conn.reply(id, code::SUCC, "", serde_json::to_value(data).ok())
                .await;
            Some(session)
        }
        Err(e) => {
            let (err, desc) = (e.code(), e.to_string());
            let known = shared.store.app(sdk_app_id).is_some();
            shared
                .ops
                .login_refused(if known { sdk_app_id } else { 0 }, err);
            conn.reply(id, err, &desc, None).await;
            conn.close(close::LOGIN_FAILED, &format!("login failed: {err}"))
                .await;
            None
        }
    }
}

/// Checks a login and registers the session with its account.
async fn admit(
    shared: &ServerState,
    peer: IpAddr,
    request: LoginRequest,
) -> Result<(Session, u64), StatusError> {
    let LoginRequest {
        id: _,
        version,
        sdk_app_id,
        user_id,
        user_sig,
        platform,
        instance_id,
    } = request;
    let user_sig = user_sig.as_str();
    if version != PROTOCOL_VERSION {
        return Err(StatusError::with_info(
            code::INVALID_PARAMETERS,
            format!("unsupported protocol version {version}"),
        ));
    }
    if !imsdk_protocol::valid_user_id(&user_id) {
        return Err(StatusError::with_info(
            code::INVALID_IDENTIFIER,
            "identifier must be 1-32 bytes of printable ASCII",
        ));
    }
    if !imsdk_protocol::valid_user_id(&platform)
        || instance_id.is_empty()
        || instance_id.len() > 128
    {
        return Err(StatusError::with_info(
            code::INVALID_PARAMETERS,
            "platform (1-32 printable ASCII) and instance_id (1-128 bytes) required",
        ));
    }
    // Only this address's own failures can block it (crate::guard).
    if shared.guard.login_verdict(peer, sdk_app_id, &user_id) == crate::guard::Verdict::Blocked {
        return Err(StatusError::with_info(
            code::ACCOUNT_FREQ_LIMIT,
            "too many failed logins: try again later",
        ));
    }
    let now = crate::store::unix_now();
    let app = shared.store.app(sdk_app_id);
    // An unknown app answers exactly as a wrong UserSig of a known one (checked against a key
    // nobody has): the answer does not confirm which SDKAppIDs exist.
    let key = app.map_or_else(
        || shared.unknown_app_key.clone(),
        |a| a.cfg().secret_key.clone(),
    );
    let (app, verified) = match (
        app,
        imsdk_usersig::verify(user_sig, sdk_app_id, &key, &user_id, now),
    ) {
        (Some(app), Ok(verified)) => (app, verified),
        (app, result) => {
            // (Ok without an app cannot happen: nobody has that key.)
            let e = result
                .err()
                .unwrap_or(imsdk_usersig::VerifyError::SignatureMismatch);
            shared.guard.login_failed(peer, sdk_app_id, &user_id, false);
            tracing::debug!(known_app = app.is_some(), "login refused: {e}");
            return Err(e.into());
        }
    };
    shared.guard.login_succeeded(peer, sdk_app_id, &user_id);
    let outbox = Arc::new(Outbox::new(OutboxLimits {
        max_entries: shared.settings.outbound_queue,
        max_bytes: shared.settings.outbound_bytes,
    }));
    let ctl = Arc::new(SessionCtl::default());
    let sid = shared.next_sid();
    let link = SessionLink {
        sid,
        outbox: Arc::clone(&outbox),
        ctl: Arc::clone(&ctl),
    };
    let info = SessionInfo {
        sdk_app_id,
        user_id: user_id.clone(),
        platform: platform.clone(),
        peer,
    };
    app.login(Login {
        user_id: user_id.clone(),
        platform,
        instance_id,
        link,
    })
    .await?;
    let session = Session {
        app: app.clone(),
        user_id,
        sid,
        ctl,
        outbox,
        stall: Duration::from_millis(shared.settings.slow_consumer_timeout_ms),
        sig_expires_at: verified.expires_at,
        info,
        ops: Arc::clone(&shared.ops),
    };
    let span = tracing::Span::current();
    span.record("sid", sid);
    span.record("app", sdk_app_id);
    span.record("user", session.info.user_id.as_str());
    span.record("platform", session.info.platform.as_str());
    shared.ops.logged_in(app, &session.info);
    Ok((session, app.cfg().heartbeat_timeout_s))
}

impl Session {
    async fn run(mut self, conn: &mut Conn, shared: &ServerState) -> SessionEnd {
        let timeout = Duration::from_secs(self.app.cfg().heartbeat_timeout_s);
        let liveness = tokio::time::sleep(timeout);
        tokio::pin!(liveness);
        let sig_check = tokio::time::sleep_until(next_sig_check(self.sig_expires_at));
        tokio::pin!(sig_check);
        let mut shutdown = shared.shutdown.clone();
        // Created once: re-creating them on every wake-up (each push) would register and drop a
        // waiter each time, a large share of the per-push cost.
        let ctl = Arc::clone(&self.ctl);
        let ended = ctl.ended();
        tokio::pin!(ended);
        let stopping = crate::state::shutting_down(&mut shutdown);
        tokio::pin!(stopping);
        let outbox = Arc::clone(&self.outbox);
        // Reused buffers: the pushes taken from the outbox and the frames they become.
        let (mut taken, mut frames) = (Vec::new(), Vec::new());
        loop {
            tokio::select! {
                biased;
                reason = &mut ended => return self.end_by_store(conn, reason).await,
                _ = &mut stopping => {
                    conn.close(close::GOING_AWAY, "server shutting down").await;
                    return SessionEnd::Shutdown;
                }
                _ = &mut liveness => {
                    conn.close(close::HEARTBEAT_TIMEOUT, "no frame within the heartbeat timeout").await;
                    return SessionEnd::TimedOut;
                }
                _ = &mut sig_check => {
                    if crate::store::unix_now() <= self.sig_expires_at {
                        sig_check.as_mut().reset(next_sig_check(self.sig_expires_at));
                        continue;
                    }
                    let desc = "UserSig expired".to_owned();
                    conn.send(&ServerFrame::UserSigExpired { code: code::USERSIG_EXPIRED, desc }).await;
                    conn.close(close::USER_SIG_EXPIRED, "UserSig expired").await;
                    return SessionEnd::LinkClosed;
                }
                more = outbox.next(&mut taken) => {
                    if !more {
                        return SessionEnd::Displaced;
                    }
                    let statuses = crate::store::push_frames(&mut taken, &mut frames);
                    let write = conn.send_batch(&mut frames);
                    match race(write, &mut ended, &mut stopping, self.stall).await {
                        Raced::Written(true) => self.ops.pushed(statuses),
                        other => return self.after(conn, other).await,
                    }
                }
                incoming = conn.recv() => {
                    liveness.as_mut().reset(Instant::now() + timeout);
                    let (reply, ending) = match incoming {
                        Incoming::Text(text) => match Conn::parse(&text) {
                            Ok(frame) => self.handle(frame).await,
                            Err(reply) => (reply, None),
                        },
                        Incoming::Control => continue,
                        Incoming::Closed => return SessionEnd::LinkClosed,
                    };
                    // The reply and the pushes pending now (among them, after a
                    // set_self_status, the setter's own change: it goes to all its sessions)
                    // leave in one write, in that order.
                    frames.push(Frame::from(encode(&reply)));
                    let statuses = match ending {
                        None => {
                            outbox.take_pending(&mut taken);
                            crate::store::push_frames(&mut taken, &mut frames)
                        }
                        Some(_) => 0,
                    };
                    let write = conn.send_batch(&mut frames);
                    match race(write, &mut ended, &mut stopping, self.stall).await {
                        Raced::Written(true) => self.ops.pushed(statuses),
                        other => return self.after(conn, other).await,
                    }
                    if let Some(ending) = ending {
                        conn.close(close::LOGGED_OUT, "logged out").await;
                        return ending;
                    }
                }
            }
        }
    }

    /// How the session ends when a write did not simply succeed.
    async fn after(&self, conn: &mut Conn, raced: Raced<bool>) -> SessionEnd {
        match raced {
            Raced::Written(true) => unreachable!("only called when the write did not succeed"),
            Raced::Written(false) => SessionEnd::LinkClosed,
            Raced::Ended(reason) => self.end_by_store(conn, reason).await,
            Raced::Stopping => {
                conn.close(close::GOING_AWAY, "server shutting down").await;
                SessionEnd::Shutdown
            }
            Raced::Stalled => {
                conn.close(close::SLOW_CONSUMER, "the client stopped reading")
                    .await;
                SessionEnd::SlowConsumer
            }
        }
    }

    /// The store ended this session: tell the client why and close. The reason is how it ended.
    async fn end_by_store(&self, conn: &mut Conn, reason: SessionEnd) -> SessionEnd {
        match reason {
            SessionEnd::Kicked => {
                let desc = "kicked offline by another login on the same platform".to_owned();
                conn.send(&ServerFrame::KickedOffline {
                    code: code::LOGIN_KICKED_OFF_BY_OTHER,
                    desc,
                })
                .await;
                conn.close(close::KICKED_OFFLINE, "kicked offline by another login")
                    .await;
            }
            SessionEnd::Replaced => {
                conn.close(1000, "replaced by a new login of the same instance")
                    .await;
            }
            SessionEnd::SlowConsumer => {
                conn.close(close::SLOW_CONSUMER, "outbound queue over its limits")
                    .await;
            }
            // Not reasons the store gives (`SessionCtl::end`).
            SessionEnd::LoggedOut
            | SessionEnd::LinkClosed
            | SessionEnd::TimedOut
            | SessionEnd::Displaced
            | SessionEnd::Shutdown => {
                conn.close(1000, "ended by the server").await;
            }
        }
        reason
    }

    /// Answers one request: the reply to write, and for a logout how the session then ends.
    async fn handle(&mut self, frame: ClientFrame) -> (ServerFrame, Option<SessionEnd>) {
        let (id, kind, started) = (frame.id(), frame_kind(&frame), std::time::Instant::now());
        let app = &self.app;
        let user = self.user_id.as_str();
        let mut ending = None;
        let result: Result<Option<serde_json::Value>, StatusError> = match frame {
            ClientFrame::Login(_) => Err(StatusError::new(code::INVALID_PARAMETERS)),
            ClientFrame::Logout { .. } => {
                app.end_session(user, self.sid, true).await;
                ending = Some(SessionEnd::LoggedOut);
                Ok(None)
            }
            ClientFrame::Heartbeat { .. } => Ok(serde_json::to_value(HeartbeatReply {
                server_time: crate::store::unix_now(),
            })
            .ok()),
            ClientFrame::SetSelfStatus { custom_status, .. } => {
                let text = custom_status.as_deref();
                let set = app.set_custom_status(user, text).await;
                if set.is_ok() {
                    self.ops.custom_status_set(&self.app, &self.info, text);
                }
                set.map(|()| None)
            }
            ClientFrame::GetUserStatus { user_ids, .. } => app
                .get_user_status(user, &user_ids)
                .await
                .map(|list| serde_json::to_value(list).ok()),
            ClientFrame::SubscribeUserStatus { user_ids, .. } => {
                app.subscribe(user, &user_ids).await.map(|()| None)
            }
            ClientFrame::UnsubscribeUserStatus { user_ids, .. } => app
                .unsubscribe(user, user_ids.as_deref())
                .await
                .map(|()| None),
        };
        let (code, desc, data) = match result {
            Ok(data) => (code::SUCC, String::new(), data),
            Err(e) => (e.code(), e.to_string(), None),
        };
        self.ops.answered(kind, started, code);
        let reply = ServerFrame::Reply {
            id,
            code,
            desc,
            data,
        };
        (reply, ending)
    }
}

/// How a write raced with what may end the session.
enum Raced<T> {
    /// The write finished with this result.
    Written(T),
    Ended(SessionEnd),
    Stopping,
    /// The socket took no write for the slow-consumer timeout: the client stopped reading.
    Stalled,
}

/// Runs a write of the session while watching the store's end, the shutdown and a stall
/// deadline: a client that stops reading cannot hold the session (or the server's shutdown).
async fn race<T>(
    write: impl std::future::Future<Output = T>,
    ended: &mut std::pin::Pin<&mut impl std::future::Future<Output = SessionEnd>>,
    stopping: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    stall: Duration,
) -> Raced<T> {
    tokio::select! {
        biased;
        reason = ended.as_mut() => Raced::Ended(reason),
        () = stopping.as_mut() => Raced::Stopping,
        ok = write => Raced::Written(ok),
        () = tokio::time::sleep(stall) => Raced::Stalled,
    }
}

/// The request type, as a metrics label.
fn frame_kind(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Login(_) => "login",
        ClientFrame::Logout { .. } => "logout",
        ClientFrame::Heartbeat { .. } => "heartbeat",
        ClientFrame::SetSelfStatus { .. } => "set_self_status",
        ClientFrame::GetUserStatus { .. } => "get_user_status",
        ClientFrame::SubscribeUserStatus { .. } => "subscribe_user_status",
        ClientFrame::UnsubscribeUserStatus { .. } => "unsubscribe_user_status",
    }
}

/// When to look at the UserSig's expiry next: just after it, but at most a day ahead (tokio timers
/// cannot reach the 100-year UserSigs some deployments issue).
fn next_sig_check(expires_at: u64) -> Instant {
    let wait = expires_at
        .saturating_add(1)
        .saturating_sub(crate::store::unix_now())
        .min(86_400);
    Instant::now() + Duration::from_secs(wait)
}
