-- The reference system's PostgreSQL schema. One schema per owning service:
-- only its owner writes it (the coupons service reads checkout's usage
-- counters to explain limits; checkout reads coupons' sources to build its
-- catalog). Applied by scripts/system-up.sh; idempotent.

CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS coupons;
CREATE SCHEMA IF NOT EXISTS checkout;

-- ---------------------------------------------------------------- auth
CREATE SEQUENCE IF NOT EXISTS auth.user_ids;

CREATE TABLE IF NOT EXISTS auth.users (
    id            text PRIMARY KEY DEFAULT 'u-' || nextval('auth.user_ids'),
    email         text NOT NULL UNIQUE,          -- lower case
    password_hash text NOT NULL,                 -- Argon2id, libsodium's crypto_pwhash_str
    role          text NOT NULL CHECK (role IN ('admin', 'customer')),
    name          text NOT NULL DEFAULT '',
    birthday      date,
    signup_date   date NOT NULL DEFAULT current_date,
    tags          text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- coupons
-- One row per coupon: its current YAML source (a one-coupon file).
CREATE TABLE IF NOT EXISTS coupons.coupons (
    code_key    text PRIMARY KEY,                -- lower(code): codes match case-insensitively
    code        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    version     integer NOT NULL,
    source      text NOT NULL,
    active      boolean NOT NULL DEFAULT true,   -- false once deleted (history is kept)
    automatic   boolean NOT NULL DEFAULT false,
    created_by  text NOT NULL,
    updated_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every version ever saved, with who did what.
CREATE TABLE IF NOT EXISTS coupons.versions (
    code_key    text NOT NULL,
    version     integer NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    source      text NOT NULL,
    author      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code_key, version)
);

-- Moves on every write, in the same transaction: services rebuild their
-- compiled catalog when it changes.
CREATE TABLE IF NOT EXISTS coupons.state (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    generation  bigint NOT NULL DEFAULT 0
);
INSERT INTO coupons.state (one, generation) VALUES (true, 0) ON CONFLICT DO NOTHING;

-- Generated codes of a campaign: a batch of unique random codes
-- (cl_codes_generate) for one parent coupon. A generated code evaluates as
-- its parent (the parent's conditions, limits and budget) and has uses of its
-- own (max_uses, single use by default), claimed by checkout in the order's
-- transaction (checkout.code_usage). A coupon with batches is a campaign: its
-- own code is no longer accepted at validation or checkout.
CREATE SEQUENCE IF NOT EXISTS coupons.batch_ids;

CREATE TABLE IF NOT EXISTS coupons.code_batches (
    id          bigint PRIMARY KEY DEFAULT nextval('coupons.batch_ids'),
    parent_key  text NOT NULL,                   -- coupons.coupons.code_key
    prefix      text NOT NULL,                   -- upper case, may be ''
    length      integer NOT NULL,                -- random characters
    check_char  boolean NOT NULL,                -- a Luhn mod N check character follows
    max_uses    integer NOT NULL,                -- uses of each code
    count       integer NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS code_batches_by_parent ON coupons.code_batches (parent_key);

CREATE TABLE IF NOT EXISTS coupons.generated_codes (
    code_key    text PRIMARY KEY,                -- lower(code); never a coupon's own code
    code        text NOT NULL,
    batch_id    bigint NOT NULL REFERENCES coupons.code_batches (id),
    parent_key  text NOT NULL,
    max_uses    integer NOT NULL CHECK (max_uses >= 1)
);
CREATE INDEX IF NOT EXISTS generated_codes_by_batch ON coupons.generated_codes (batch_id, code_key);

-- ---------------------------------------------------------------- checkout
-- Gapless counters, taken inside the order transaction.
CREATE TABLE IF NOT EXISTS checkout.shop_counter (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    serial      bigint NOT NULL DEFAULT 0
);
INSERT INTO checkout.shop_counter (one, serial) VALUES (true, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS checkout.customer_counter (
    user_id     text PRIMARY KEY,
    orders      bigint NOT NULL DEFAULT 0         -- orders placed, cancelled ones included
);

CREATE TABLE IF NOT EXISTS checkout.orders (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE,
    serial            bigint NOT NULL UNIQUE,
    user_id           text NOT NULL,
    sequence          bigint NOT NULL,
    status            text NOT NULL CHECK (status IN ('placed', 'cancelled')),
    currency          text NOT NULL,
    subtotal          bigint NOT NULL,           -- minor units
    shipping          bigint NOT NULL,
    discount          bigint NOT NULL,
    shipping_discount bigint NOT NULL,
    total             bigint NOT NULL,
    coupons           text[] NOT NULL,
    context           jsonb NOT NULL,            -- the SPEC context it was priced with
    pricing           jsonb NOT NULL,            -- couponlib's best() result
    body              jsonb NOT NULL,            -- the order as answered
    created_at        timestamptz NOT NULL DEFAULT now(),
    cancelled_at      timestamptz,
    UNIQUE (user_id, sequence)
);
CREATE INDEX IF NOT EXISTS orders_by_user ON checkout.orders (user_id, id);

-- Uses and money given away per coupon; rows are locked by every redemption.
CREATE TABLE IF NOT EXISTS checkout.coupon_usage (
    code_key    text PRIMARY KEY,
    uses        bigint NOT NULL DEFAULT 0 CHECK (uses >= 0),
    spent       bigint NOT NULL DEFAULT 0 CHECK (spent >= 0)   -- minor units
);

CREATE TABLE IF NOT EXISTS checkout.coupon_user_usage (
    code_key    text NOT NULL,
    user_id     text NOT NULL,
    uses        bigint NOT NULL DEFAULT 0 CHECK (uses >= 0),
    PRIMARY KEY (code_key, user_id)
);

CREATE TABLE IF NOT EXISTS checkout.redemptions (
    order_id          bigint NOT NULL REFERENCES checkout.orders (id),
    code_key          text NOT NULL,
    user_id           text NOT NULL,
    discount          bigint NOT NULL,
    shipping_discount bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    cancelled_at      timestamptz,
    PRIMARY KEY (order_id, code_key)
);
CREATE INDEX IF NOT EXISTS redemptions_by_code ON checkout.redemptions (code_key);
-- The generated code a redemption was entered with (NULL: the coupon's own
-- code, or an automatic coupon).
ALTER TABLE checkout.redemptions ADD COLUMN IF NOT EXISTS entered_code text;
CREATE INDEX IF NOT EXISTS redemptions_by_entered ON checkout.redemptions (entered_code)
    WHERE entered_code IS NOT NULL;

-- Uses of each generated code, locked and claimed by the order transaction
-- (like coupon_usage); never above the code's max_uses.
CREATE TABLE IF NOT EXISTS checkout.code_usage (
    code_key    text PRIMARY KEY,                -- coupons.generated_codes.code_key
    uses        bigint NOT NULL DEFAULT 0 CHECK (uses >= 0)
);

-- Idempotency-Key of a checkout: claimed first thing in the order's own
-- transaction (a concurrent retry waits on the row), completed before it
-- commits; so a committed row always has its response.
CREATE TABLE IF NOT EXISTS checkout.idempotency (
    user_id       text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,                 -- SHA-256 of the canonical body
    order_id      bigint REFERENCES checkout.orders (id),
    status        integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
