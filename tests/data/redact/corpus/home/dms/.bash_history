mysql -u dms -pFAKE-c021-pw -h db01 dms
mysqldump --single-transaction -uroot -pFAKE-c022-pw dms > /backup/dms.sql
./import.sh --password FAKE-c023-pw --verbose
java -jar dms-tool.jar --db-password FAKE-c024-pw --db-host db01
curl -sS -u admin:FAKE-c025-pw https://nas01/api/status
curl --user "svc:FAKE-c026-pw" -X POST https://dms/api/reindex
sshpass -p FAKE-c027-pw ssh backup@nas01
net use \\nas01\dms /user:CORP\svc_dms FAKE-c028-pw /persistent:yes
net use Z: \\nas01\dms FAKE-c029-pw /user:CORP\svc_dms
smbclient //nas01/dms -U svc%FAKE-c030-pw -c ls
sqlplus dms/FAKE-c031-pw@ORCL @report.sql
expdp system/FAKE-c032-pw@pdb1 schemas=dms directory=dp
psql "host=db01 dbname=dms user=dms password=FAKE-c033-pw sslmode=require"
export DMS_DB_PASSWORD=FAKE-c034-pw
PGPASSWORD=FAKE-c035-pw psql -h db01 dms
