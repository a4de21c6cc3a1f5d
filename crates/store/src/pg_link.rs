//! Connections to PostgreSQL that notice a partition: a database that stops answering, with
//! the socket still open (a frozen link, a peer gone without a reset, a stalled proxy).
//! TCP alone never notices while something on the way acknowledges the bytes, and a call
//! would wait for ever.
//!
//! Each connection counts the answers it is owed: one for the start-up, one for every
//! `Sync` or simple `Query` sent, each paid by a `ReadyForQuery`. While one is owed, a
//! connection that receives no byte for `response_timeout` fails (the call sees a lost
//! connection, the pool drops it). Since the first such failure says that the database is
//! out of reach, it also fails, at their next use, every connection opened before it: a
//! call then fails in about one `response_timeout`, instead of once for each pooled
//! connection it would try in turn. `response_timeout` is longer than the server-side
//! `statement_timeout`, so a slow statement is cancelled by the server first.

use deadpool_postgres::Connect;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};
use tokio_postgres::config::Host;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{Client, Config, Connection, NoTls};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Opens connections with a response deadline (see the module's documentation).
#[derive(Debug)]
pub(crate) struct LinkConnect {
    connect_timeout: Duration,
    response_timeout: Duration,
    /// Bumped by each connection that times out; connections of an older epoch fail.
    epoch: Arc<AtomicU64>,
}

impl LinkConnect {
    pub(crate) fn new(connect_timeout: Duration, response_timeout: Duration) -> Self {
        LinkConnect { connect_timeout, response_timeout, epoch: Arc::default() }
    }

    async fn socket(&self, config: &Config) -> Socket {
        let hosts = config.get_hosts();
        let ports = config.get_ports();
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no host to connect to");
        for (i, host) in hosts.iter().enumerate() {
            let port = ports.get(i).or_else(|| ports.first()).copied().unwrap_or(5432);
            let attempt = async {
                match host {
                    Host::Tcp(name) => TcpStream::connect((name.as_str(), port)).await.map(|s| {
                        let _ = s.set_nodelay(true);
                        Socket::Tcp(s)
                    }),
                    Host::Unix(dir) => {
                        UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).await.map(Socket::Unix)
                    }
                }
            };
            match tokio::time::timeout(self.connect_timeout, attempt).await {
                Ok(Ok(socket)) => return socket,
                Ok(Err(e)) => last = e,
                Err(_) => {
                    last = io::Error::new(io::ErrorKind::TimedOut, "connecting to PostgreSQL timed out");
                }
            }
        }
        // `tokio_postgres::Error` has no public constructor: the start-up over a socket that
        // fails at once reports the error in its own type.
        Socket::Broken(Some(last))
    }
}

impl Connect for LinkConnect {
    fn connect(
        &self,
        config: &Config,
    ) -> BoxFuture<'_, Result<(Client, JoinHandle<()>), tokio_postgres::Error>> {
        let config = config.clone();
        Box::pin(async move {
            let socket = self.socket(&config).await;
            let link = Link::new(socket, self.response_timeout, Arc::clone(&self.epoch));
            let (client, connection): (Client, Connection<Link, NoTlsStream>) =
                config.connect_raw(link, NoTls).await?;
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "a database connection ended");
                }
            });
            Ok((client, task))
        })
    }
}

enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
    Broken(Option<io::Error>),
}

/// Where a reader of protocol messages is: in the 5-byte header (type and length), or in a
/// body with this many bytes left.
#[derive(Debug, Default)]
struct Framing {
    header: [u8; 5],
    have: usize,
    body_left: usize,
    /// The first message a client sends (start-up) has no type byte.
    untyped_first: bool,
}

impl Framing {
    /// Feeds bytes; calls `on_message(type)` at the start of each message.
    fn feed(&mut self, mut bytes: &[u8], mut on_message: impl FnMut(u8)) {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(bytes.len());
                self.body_left -= n;
                bytes = &bytes[n..];
                continue;
            }
            let header_len = if self.untyped_first { 4 } else { 5 };
            let n = (header_len - self.have).min(bytes.len());
            self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == header_len {
                let (kind, len) = if self.untyped_first {
                    (0, &self.header[..4])
                } else {
                    (self.header[0], &self.header[1..5])
                };
                let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
                self.body_left = len.saturating_sub(4);
                self.have = 0;
                self.untyped_first = false;
                on_message(kind);
            }
        }
    }
}

pub(crate) struct Link {
    socket: Socket,
    timeout: Duration,
    epoch: Arc<AtomicU64>,
    born: u64,
    /// `ReadyForQuery` messages owed by the server.
    owed: u64,
    sent: Framing,
    received: Framing,
    deadline: Pin<Box<Sleep>>,
    armed: bool,
}

impl Link {
    fn new(socket: Socket, timeout: Duration, epoch: Arc<AtomicU64>) -> Link {
        let born = epoch.load(Ordering::Acquire);
        Link {
            socket,
            timeout,
            epoch,
            born,
            // The start-up is answered by a `ReadyForQuery` too.
            owed: 1,
            sent: Framing { untyped_first: true, ..Framing::default() },
            received: Framing::default(),
            deadline: Box::pin(tokio::time::sleep(timeout)),
            armed: true,
        }
    }

    fn stale(&self) -> io::Result<()> {
        if self.epoch.load(Ordering::Acquire) != self.born {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "another connection to PostgreSQL timed out; this one is not trusted either",
            ));
        }
        Ok(())
    }

    /// Whether the deadline has passed (polling it, so that the task wakes when it does).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.armed && self.deadline.as_mut().poll(cx).is_ready()
    }

    fn timed_out(&mut self) -> io::Error {
        self.armed = false;
        self.epoch.fetch_add(1, Ordering::AcqRel);
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("PostgreSQL sent nothing for {:?} while an answer was owed", self.timeout),
        )
    }

    fn rearm(&mut self) {
        self.armed = self.owed > 0;
        if self.armed {
            let at = Instant::now() + self.timeout;
            self.deadline.as_mut().reset(at);
        }
    }
}

impl AsyncRead for Link {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Err(e) = this.stale() {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let polled = match &mut this.socket {
            Socket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Broken(e) => {
                Poll::Ready(Err(e.take().unwrap_or_else(|| io::ErrorKind::NotConnected.into())))
            }
        };
        match polled {
            Poll::Ready(Ok(())) => {
                let owed = &mut this.owed;
                this.received.feed(&buf.filled()[before..], |kind| {
                    if kind == b'Z' {
                        *owed = owed.saturating_sub(1);
                    }
                });
                if buf.filled().len() > before {
                    this.rearm();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(this.timed_out())),
            other => other,
        }
    }
}

impl AsyncWrite for Link {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Err(e) = this.stale() {
            return Poll::Ready(Err(e));
        }
        let polled = match &mut this.socket {
            Socket::Tcp(s) => Pin::new(s).poll_write(cx, data),
            Socket::Unix(s) => Pin::new(s).poll_write(cx, data),
            Socket::Broken(e) => {
                Poll::Ready(Err(e.take().unwrap_or_else(|| io::ErrorKind::NotConnected.into())))
            }
        };
        if let Poll::Ready(Ok(n)) = polled {
            let was_owed = this.owed;
            let owed = &mut this.owed;
            this.sent.feed(&data[..n], |kind| {
                if kind == b'S' || kind == b'Q' {
                    *owed += 1;
                }
            });
            if was_owed == 0 && this.owed > 0 {
                this.rearm();
                // Registers this task's waker with the deadline: the read side may already
                // be parked without it.
                if this.expired(cx) {
                    return Poll::Ready(Err(this.timed_out()));
                }
            }
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.socket {
            Socket::Tcp(s) => Pin::new(s).poll_flush(cx),
            Socket::Unix(s) => Pin::new(s).poll_flush(cx),
            Socket::Broken(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.socket {
            Socket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Broken(_) => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_finds_messages_across_reads() {
        // A start-up (untyped), then Parse, Sync, Query, in pieces.
        let mut stream = Vec::new();
        stream.extend_from_slice(&8u32.to_be_bytes());
        stream.extend_from_slice(&[0, 3, 0, 0]);
        stream.extend_from_slice(b"P");
        stream.extend_from_slice(&6u32.to_be_bytes());
        stream.extend_from_slice(b"x\0");
        stream.extend_from_slice(b"S");
        stream.extend_from_slice(&4u32.to_be_bytes());
        stream.extend_from_slice(b"Q");
        stream.extend_from_slice(&13u32.to_be_bytes());
        stream.extend_from_slice(b"SELECT 1\0");
        for chunk in [1, 3, 7, stream.len()] {
            let mut f = Framing { untyped_first: true, ..Framing::default() };
            let mut kinds = Vec::new();
            for piece in stream.chunks(chunk) {
                f.feed(piece, |k| kinds.push(k));
            }
            assert_eq!(kinds, vec![0, b'P', b'S', b'Q'], "chunks of {chunk}");
        }
    }
}
