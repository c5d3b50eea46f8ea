"""The GraphQL documents /app's pages read and write with, in the API's own words."""

HOME = """query AppHome($n: ID!) { network(id: $n) { id name region }
  unreadNotificationCount }"""
ORGANIZATION = """query AppOrganization($o: ID!) { organization(id: $o) {
  id name mission
  matches(first: 20) { edges { node { id score status reasons needId
    parties { organizationId name answer } } } }
  partnerships(first: 50) { edges { node { id name status health { score label } } } } } }"""
MATCH = """query AppMatch($id: ID!) { node(id: $id) { ... on Match {
  id score status reasons components { name score weight }
  parties { organizationId name answer } } } }"""
RESPOND = """mutation AppRespond($id: ID!, $d: MatchDecision!, $r: String!) {
  respondToMatch(matchId: $id, decision: $d, reason: $r) { id status } }"""
PARTNERSHIP = """query AppPartnership($id: ID!) { partnership(id: $id) {
  id name status goals formedAt nextCheckInAt organizations { id name }
  health { score label parts { name score detail } }
  commitments(first: 100) { edges { node {
    id title ownerOrganizationId dueAt status note kind quantity unit } } }
  checkIns(first: 20) { edges { node { id heldAt attendees updates wins blockers } } }
  milestones(first: 20) { edges { node { id title note reachedAt } } }
  contributions(first: 20) { edges { node {
    id organizationId kind quantity unit estimatedValue note } } }
  feedback(first: 20) { edges { node { id rating comment participantsReached submittedAt } } }
  updates(first: 50) { edges { node {
    id kind text organizationId postedAt milestoneId } } }
  communityResponses(first: 20) { edges { node { id rating story contact submittedAt } } }
} }"""
PARTNERS = """query AppPartners($id: ID!) { partnership(id: $id) {
  id name organizations { id name } } }"""
COMMITMENT = """query AppCommitment($id: ID!) { commitment(id: $id) {
  id partnershipId title ownerOrganizationId status dueAt } }"""
MAKE_COMMITMENT = """mutation AppCommit($i: MakeCommitmentInput!) {
  makeCommitment(input: $i) { id status } }"""
ACCEPT_COMMITMENT = """mutation AppAccept($id: ID!, $note: String!) {
  acceptCommitment(id: $id, note: $note) { id status } }"""
DECLINE_COMMITMENT = """mutation AppDecline($id: ID!, $note: String!) {
  declineCommitment(id: $id, note: $note) { id status } }"""
UPDATE_COMMITMENT = """mutation AppClose($id: ID!, $s: CommitmentStatus!, $note: String!) {
  updateCommitment(id: $id, status: $s, note: $note) { id status } }"""
CHECK_IN = """mutation AppCheckIn($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }"""
MILESTONE = """mutation AppMilestone($i: ReachMilestoneInput!) {
  reachMilestone(input: $i) { id } }"""
CONTRIBUTION = """mutation AppContribution($i: LogContributionInput!) {
  logContribution(input: $i) { id } }"""
FEEDBACK = """mutation AppFeedback($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }"""
INBOX = """query AppInbox { notifications(first: 50) { edges { node {
  id title body read createdAt } } } }"""
MARK_READ = """mutation AppRead($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"""

NEEDS = """query AppNeeds($n: ID!) { needs(networkId: $n, first: 100) { edges { node {
  id title area focusArea severity } } } }"""
NEED = """query AppNeed($id: ID!) { need(id: $id) {
  id title description area focusArea severity requiredResources
  coalitions(first: 3) { score uncoveredResources
    organizations { organizationId name covers alignment } } } }"""
REPORT_NEED = """mutation AppReportNeed($i: ReportNeedInput!) {
  reportNeed(input: $i) { need { id } } }"""
IMPORT_SURVEY = """mutation AppImport($n: ID!, $csv: String!) {
  importSurvey(networkId: $n, csv: $csv) {
  surveyId needsCreated needsStrengthened rowsImported rowsRejected
  rejectedRows { row field message } } }"""
INTRODUCE = """mutation AppIntroduce($i: ProposeIntroductionInput!) {
  proposeIntroduction(input: $i) { id } }"""
NETWORK = """query AppNetwork($n: ID!) { network(id: $n) { id name region joinCode }
  organizations(networkId: $n, first: 100) { edges { node { id name focusAreas } } } }"""
ROTATE = """mutation AppRotate($n: ID!) { rotateJoinCode(networkId: $n) { joinCode } }"""
PROFILE = """query AppProfile($o: ID!) { organization(id: $o) {
  id name mission focusAreas values region populationsServed virtualReady openToOtherNetworks
  offers { kind description quantity unit } needs { kind description quantity unit } } }"""
UPDATE_PROFILE = """mutation AppUpdateProfile($o: ID!, $i: UpdateOrganizationInput!) {
  updateOrganization(id: $o, input: $i) { id } }"""
PREFERENCES = (
    """query AppPreferences { notificationPreferences { defaultChannels digest language } }"""
)
UPDATE_PREFERENCES = """mutation AppUpdatePreferences($i: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $i) { digest } }"""
EXPORT = """query AppExport($n: ID!) { exportDirectory(networkId: $n) {
  fileName contentType dataUrl } }"""
POST_UPDATE = """mutation AppPostUpdate($i: PostPartnershipUpdateInput!) {
  postPartnershipUpdate(input: $i) { id } }"""
UPDATES = """query AppUpdates($id: ID!) { partnership(id: $id) {
  id updates(first: 100) { edges { node { id kind text milestoneId } } } } }"""
