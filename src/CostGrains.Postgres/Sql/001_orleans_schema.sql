-- The schema Orleans' ADO.NET providers (persistence, clustering, reminders) expect.
-- Orleans reads and writes only through the named queries in OrleansQuery: it binds parameters
-- by name (@GrainIdHash, @DeploymentId, ...) and reads result columns by name. Write queries
-- return one row whose first column is > 0 on success and 0 when a version check failed.

CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

-- Grain state --------------------------------------------------------------------------------
-- Grain state of every grain type; the type is part of the row's identity.
CREATE TABLE OrleansStorage
(
    GrainIdHash            integer       NOT NULL,
    GrainIdN0              bigint        NOT NULL,
    GrainIdN1              bigint        NOT NULL,
    GrainTypeHash          integer       NOT NULL,
    GrainTypeString        varchar(512)  NOT NULL,
    GrainIdExtensionString varchar(512)  NULL,
    ServiceId              varchar(150)  NOT NULL,
    PayloadBinary          bytea         NULL,
    ModifiedOn             timestamptz   NOT NULL DEFAULT now(),
    Version                integer       NOT NULL
);
CREATE INDEX ix_orleansstorage ON OrleansStorage (GrainIdHash, GrainTypeHash);
CREATE UNIQUE INDEX ux_orleansstorage_identity ON OrleansStorage
    (ServiceId, GrainTypeHash, GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeString, COALESCE(GrainIdExtensionString, ''));

-- Insert when no version was read (NULL), otherwise update only the version that was read.
-- The new version comes back; the old one when the check failed (Orleans then raises a conflict).
CREATE FUNCTION cg_orleans_write_state(
    _idhash integer, _n0 bigint, _n1 bigint, _typehash integer, _type varchar, _ext varchar,
    _service varchar, _version integer, _payload bytea)
RETURNS TABLE (NewGrainStateVersion integer) LANGUAGE plpgsql AS $$
DECLARE
    _rows integer;
BEGIN
    IF _version IS NULL THEN
        INSERT INTO OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
                                    GrainIdExtensionString, ServiceId, PayloadBinary, Version)
        VALUES (_idhash, _n0, _n1, _typehash, _type, _ext, _service, _payload, 1)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS _rows = ROW_COUNT;
        RETURN QUERY SELECT CASE WHEN _rows > 0 THEN 1 ELSE NULL::integer END;
    ELSE
        UPDATE OrleansStorage
           SET PayloadBinary = _payload, ModifiedOn = now(), Version = Version + 1
         WHERE GrainIdHash = _idhash AND GrainTypeHash = _typehash AND GrainIdN0 = _n0 AND GrainIdN1 = _n1
           AND GrainTypeString = _type AND ServiceId = _service
           AND COALESCE(GrainIdExtensionString, '') = COALESCE(_ext, '')
           AND Version = _version;
        GET DIAGNOSTICS _rows = ROW_COUNT;
        RETURN QUERY SELECT CASE WHEN _rows > 0 THEN _version + 1 ELSE _version END;
    END IF;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('WriteToStorageKey',
 'SELECT NewGrainStateVersion FROM cg_orleans_write_state(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash,
      @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);'),
('ReadFromStorageKey',
 'SELECT PayloadBinary, NULL::text AS PayloadXml, NULL::text AS PayloadJson, now() AS ModifiedOn, Version
    FROM OrleansStorage
   WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND GrainIdN0 = @GrainIdN0
     AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString AND ServiceId = @ServiceId
     AND COALESCE(GrainIdExtensionString, '''') = COALESCE(@GrainIdExtensionString, '''');'),
('ClearStorageKey',
 'UPDATE OrleansStorage SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
   WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND GrainIdN0 = @GrainIdN0
     AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString AND ServiceId = @ServiceId
     AND COALESCE(GrainIdExtensionString, '''') = COALESCE(@GrainIdExtensionString, '''')
     AND Version = @GrainStateVersion
  RETURNING Version AS NewGrainStateVersion;'),
('DeleteStorageKey',
 'DELETE FROM OrleansStorage
   WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND GrainIdN0 = @GrainIdN0
     AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString AND ServiceId = @ServiceId
     AND COALESCE(GrainIdExtensionString, '''') = COALESCE(@GrainIdExtensionString, '''')
     AND Version = @GrainStateVersion
  RETURNING Version AS NewGrainStateVersion;');

-- Cluster membership ------------------------------------------------------------------------
-- One version row per cluster; every membership change bumps it (optimistic concurrency).
CREATE TABLE OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL PRIMARY KEY,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0
);

CREATE TABLE OrleansMembershipTable
(
    DeploymentId varchar(150)  NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      varchar(45)   NOT NULL,
    Port         integer       NOT NULL,
    Generation   integer       NOT NULL,
    SiloName     varchar(150)  NOT NULL,
    HostName     varchar(150)  NOT NULL,
    Status       integer       NOT NULL,
    ProxyPort    integer       NULL,
    SuspectTimes varchar(8000) NULL,
    StartTime    timestamptz   NOT NULL,
    IAmAliveTime timestamptz   NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

CREATE FUNCTION cg_orleans_insert_member(
    _deployment varchar, _address varchar, _port integer, _generation integer, _silo varchar, _host varchar,
    _status integer, _proxy integer, _start timestamptz, _alive timestamptz, _version integer)
RETURNS TABLE (row_count integer) LANGUAGE plpgsql AS $$
DECLARE
    _rows integer;
BEGIN
    UPDATE OrleansMembershipVersionTable SET Timestamp = now(), Version = Version + 1
     WHERE DeploymentId = _deployment AND Version = _version;
    GET DIAGNOSTICS _rows = ROW_COUNT;
    IF _rows = 0 THEN
        RETURN QUERY SELECT 0;
        RETURN;
    END IF;
    INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName, Status,
                                        ProxyPort, StartTime, IAmAliveTime)
    VALUES (_deployment, _address, _port, _generation, _silo, _host, _status, _proxy, _start, _alive)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS _rows = ROW_COUNT;
    IF _rows = 0 THEN
        RAISE EXCEPTION 'silo % already registered', _address USING ERRCODE = 'unique_violation';
    END IF;
    RETURN QUERY SELECT 1;
EXCEPTION WHEN unique_violation THEN
    RETURN QUERY SELECT 0; -- the version bump above is rolled back with the block
END
$$;

CREATE FUNCTION cg_orleans_update_member(
    _deployment varchar, _address varchar, _port integer, _generation integer, _status integer,
    _suspects varchar, _alive timestamptz, _version integer)
RETURNS TABLE (row_count integer) LANGUAGE plpgsql AS $$
DECLARE
    _rows integer;
BEGIN
    UPDATE OrleansMembershipVersionTable SET Timestamp = now(), Version = Version + 1
     WHERE DeploymentId = _deployment AND Version = _version;
    GET DIAGNOSTICS _rows = ROW_COUNT;
    IF _rows = 0 THEN
        RETURN QUERY SELECT 0;
        RETURN;
    END IF;
    UPDATE OrleansMembershipTable
       SET Status = _status, SuspectTimes = _suspects, IAmAliveTime = GREATEST(IAmAliveTime, _alive)
     WHERE DeploymentId = _deployment AND Address = _address AND Port = _port AND Generation = _generation;
    GET DIAGNOSTICS _rows = ROW_COUNT;
    IF _rows = 0 THEN
        RAISE EXCEPTION 'silo % not registered', _address USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY SELECT 1;
EXCEPTION WHEN no_data_found THEN
    RETURN QUERY SELECT 0;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey',
 'WITH ins AS (INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
               ON CONFLICT DO NOTHING RETURNING 1)
  SELECT count(*)::integer FROM ins;'),
('InsertMembershipKey',
 'SELECT row_count FROM cg_orleans_insert_member(@DeploymentId, @Address, @Port, @Generation, @SiloName,
      @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);'),
('UpdateMembershipKey',
 'SELECT row_count FROM cg_orleans_update_member(@DeploymentId, @Address, @Port, @Generation, @Status,
      @SuspectTimes, @IAmAliveTime, @Version);'),
('UpdateIAmAlivetimeKey',
 'UPDATE OrleansMembershipTable SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
   WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;'),
('MembershipReadRowKey',
 'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
         m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
         AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
   WHERE v.DeploymentId = @DeploymentId;'),
('MembershipReadAllKey',
 'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
         m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
   WHERE v.DeploymentId = @DeploymentId;'),
('GatewaysQueryKey',
 'SELECT Address, ProxyPort, Generation FROM OrleansMembershipTable
   WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;'),
('DeleteMembershipTableEntriesKey',
 'DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
  DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;'),
('CleanupDefunctSiloEntriesKey',
 'DELETE FROM OrleansMembershipTable
   WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status = 6;'),
('CleanupDefunctSiloEntryKey',
 'DELETE FROM OrleansMembershipTable
   WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
     AND Status = 6;');

-- Reminders ---------------------------------------------------------------------------------
CREATE TABLE OrleansRemindersTable
(
    ServiceId      varchar(150) NOT NULL,
    GrainId        varchar(150) NOT NULL,
    ReminderName   varchar(150) NOT NULL,
    StartTime      timestamptz  NOT NULL,
    Period         bigint       NOT NULL,
    CronExpression varchar(200) NULL,
    NextDueUtc     timestamptz  NULL,
    LastFireUtc    timestamptz  NULL,
    Priority       smallint     NOT NULL DEFAULT 0,
    Action         smallint     NOT NULL DEFAULT 0,
    GrainHash      integer      NOT NULL,
    Version        integer      NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);
CREATE INDEX ix_reminders_hash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpsertReminderRowKey',
 'INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, CronExpression,
                                     NextDueUtc, LastFireUtc, Priority, Action, GrainHash, Version)
  VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period::bigint, @CronExpression, @NextDueUtc,
          @LastFireUtc, @Priority::smallint, @Action::smallint, @GrainHash, 0)
  ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE SET
      StartTime = excluded.StartTime, Period = excluded.Period, CronExpression = excluded.CronExpression,
      NextDueUtc = excluded.NextDueUtc, LastFireUtc = excluded.LastFireUtc, Priority = excluded.Priority,
      Action = excluded.Action, GrainHash = excluded.GrainHash, Version = OrleansRemindersTable.Version + 1
  RETURNING Version;'),
('ReadReminderRowsKey',
 'SELECT GrainId, ReminderName, StartTime, Period, CronExpression, NextDueUtc, LastFireUtc, Priority, Action, Version
    FROM OrleansRemindersTable WHERE ServiceId = @ServiceId AND GrainId = @GrainId;'),
('ReadReminderRowKey',
 'SELECT GrainId, ReminderName, StartTime, Period, CronExpression, NextDueUtc, LastFireUtc, Priority, Action, Version
    FROM OrleansRemindersTable WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;'),
('ReadRangeRows1Key',
 'SELECT GrainId, ReminderName, StartTime, Period, CronExpression, NextDueUtc, LastFireUtc, Priority, Action, Version
    FROM OrleansRemindersTable
   WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;'),
('ReadRangeRows2Key',
 'SELECT GrainId, ReminderName, StartTime, Period, CronExpression, NextDueUtc, LastFireUtc, Priority, Action, Version
    FROM OrleansRemindersTable
   WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);'),
('DeleteReminderRowKey',
 'WITH d AS (DELETE FROM OrleansRemindersTable
              WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
                AND Version = @Version RETURNING 1)
  SELECT count(*)::integer FROM d;'),
('DeleteReminderRowsKey',
 'DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;');
