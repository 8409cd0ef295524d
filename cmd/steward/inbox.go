package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/oidc"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/web"
)

// newInbox builds the web inbox with its sign-in methods: OIDC when an
// issuer is configured (local passwords are then off), else local
// passwords when enabled, and always the inbox-token sign-in. Sessions live
// in the store; every sign-in and sign-out is audited in the log.
func newInbox(ctx context.Context, cfg *Config, a *app, svc *services, logger *slog.Logger, secure bool, maxBody int64) (*web.Server, error) {
	idle, err := cfg.Duration("session-idle-timeout")
	if err != nil {
		return nil, err
	}
	lifetime, err := cfg.Duration("session-lifetime")
	if err != nil {
		return nil, err
	}
	local, err := strconv.ParseBool(cfg.String("local-login"))
	if err != nil {
		return nil, fmt.Errorf("local-login: %q is not true or false", cfg.String("local-login"))
	}
	s := &web.Server{Backend: svc.chat, Accounts: a.db, Logger: logger, Secure: secure, MaxUpload: maxBody,
		LocalLogin: local, IdleTimeout: idle, SessionLifetime: lifetime,
		Authenticate: func(ctx context.Context, secret string) (*steward.Token, error) {
			return steward.Authenticate(ctx, a.db, secret, time.Now())
		},
		Audit: func(ctx context.Context, actor, action, subject string, details map[string]any) error {
			_, err := a.pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
			return err
		}}
	if issuer := cfg.String("oidc-issuer"); issuer != "" {
		oc := oidc.Config{Issuer: issuer, ClientID: cfg.String("oidc-client-id"),
			ClientSecret: secretSetting(cfg, "oidc-client-secret"), RedirectURL: cfg.String("oidc-redirect-url"),
			Claim: cfg.String("oidc-claim"), Scopes: strings.Fields(cfg.String("oidc-scopes"))}
		if k := secretSetting(cfg, "oidc-cookie-key"); k != "" {
			if oc.CookieKey, err = base64.StdEncoding.DecodeString(k); err != nil || len(oc.CookieKey) != 32 {
				return nil, fmt.Errorf("oidc-cookie-key: want 32 bytes in standard base64")
			}
		}
		rp, err := oidc.New(ctx, oc)
		if err != nil {
			return nil, fmt.Errorf("OIDC provider %s: %w", issuer, err)
		}
		s.OIDC = rp
		logger.Info("inbox sign-in through OIDC", "issuer", issuer, "claim", oc.Claim)
	}
	return s, nil
}
